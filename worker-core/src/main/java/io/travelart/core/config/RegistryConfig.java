package io.travelart.core.config;

import java.util.Optional;

/**
 * Where the Confluent-compatible schema registry is: {@code SCHEMA_REGISTRY_URL}, optional
 * {@code SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO} ({@code user:password}), and whether programs register
 * the schemas they write at start ({@code TRAVELART_AUTO_REGISTER_SCHEMAS}, default true).
 */
public record RegistryConfig(String url, Optional<String> basicAuthUserInfo, boolean autoRegister) {

    public RegistryConfig {
        if (!url.startsWith("http://") && !url.startsWith("https://")) {
            throw new ConfigException("SCHEMA_REGISTRY_URL=" + url + " is not accepted: expected an http:// or https:// URL");
        }
        url = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        basicAuthUserInfo.ifPresent(info -> {
            if (!info.contains(":")) {
                throw new ConfigException("SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO is not accepted: expected user:password");
            }
        });
    }

    public static RegistryConfig from(Settings settings) {
        return new RegistryConfig(
                settings.required("SCHEMA_REGISTRY_URL", "the schema registry's URL, e.g. http://localhost:8081"),
                settings.optional("SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO"),
                settings.bool("TRAVELART_AUTO_REGISTER_SCHEMAS", true));
    }

    public static RegistryConfig of(String url) {
        return new RegistryConfig(url, Optional.empty(), true);
    }

    @Override
    public String toString() {
        return "RegistryConfig[url=" + url.replaceFirst("^(https?://)[^/@]*@", "$1****@") + ", basicAuth=" + (basicAuthUserInfo.isPresent() ? "****" : "none")
                + ", autoRegister=" + autoRegister + "]";
    }
}
