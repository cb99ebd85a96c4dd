package io.travelart.core.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where the Confluent-compatible schema registry is ({@code SCHEMA_REGISTRY_URL}), how a program proves who it is to it
 * ({@link Credentials}: nothing, Basic, a static bearer token, or OAuth client credentials), the TLS of its own that it
 * uses there ({@link Tls}: a trust store and a client certificate, for this registry only, not for OpenAI or S3), and
 * whether programs register the schemas they write at start ({@code TRAVELART_AUTO_REGISTER_SCHEMAS}, default true).
 * The names are those of Confluent's serializer settings ({@code basic.auth.user.info}, {@code bearer.auth.*},
 * {@code schema.registry.ssl.*}) in environment style, so a deployment's existing values carry over.
 *
 * @param headers sent with every call beside the credentials: Confluent Cloud's {@code target-sr-cluster} and
 *                {@code Confluent-Identity-Pool-Id} for OAuth
 */
public record RegistryConfig(String url, Credentials credentials, Map<String, String> headers, Tls tls, boolean autoRegister) {

    /** How a program proves who it is to the registry. */
    public sealed interface Credentials {
    }

    public record NoCredentials() implements Credentials {
    }

    /** {@code user:password}, sent as HTTP Basic. */
    public record Basic(String userInfo) implements Credentials {
        public Basic {
            if (!userInfo.contains(":")) {
                throw new ConfigException("SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO is not accepted: expected user:password");
            }
        }
    }

    /** A token given as it is (an API token, or one a sidecar keeps fresh in the setting): sent as {@code Bearer}. */
    public record StaticToken(String token) implements Credentials {
    }

    /**
     * OAuth 2.0 client credentials (RFC 6749 4.4): a token asked of the identity provider's token endpoint with the
     * client id and secret in HTTP Basic, sent as {@code Bearer}, asked again before it expires and when the registry
     * refuses it.
     */
    public record ClientCredentials(String tokenUrl, String clientId, String clientSecret, Optional<String> scope)
            implements Credentials {
        public ClientCredentials {
            if (!tokenUrl.startsWith("http://") && !tokenUrl.startsWith("https://")) {
                throw new ConfigException("SCHEMA_REGISTRY_BEARER_AUTH_ISSUER_ENDPOINT_URL=" + tokenUrl
                        + " is not accepted: expected an http:// or https:// URL");
            }
        }
    }

    /** A key or trust store file: PKCS12 (the default) or JKS. */
    public record Store(Path location, Optional<String> password, String type) {
    }

    /**
     * TLS towards the registry: the certificates it trusts there (empty: the JVM's) and the client certificate it
     * shows (empty: none), with the key's own password when it differs from the store's.
     */
    public record Tls(Optional<Store> trustStore, Optional<Store> keyStore, Optional<String> keyPassword) {
        public static final Tls DEFAULT = new Tls(Optional.empty(), Optional.empty(), Optional.empty());

        public boolean isDefault() {
            return trustStore.isEmpty() && keyStore.isEmpty();
        }
    }

    public RegistryConfig {
        if (!url.startsWith("http://") && !url.startsWith("https://")) {
            throw new ConfigException("SCHEMA_REGISTRY_URL=" + url + " is not accepted: expected an http:// or https:// URL");
        }
        if (!tls.isDefault() && url.startsWith("http://")) {
            throw new ConfigException("SCHEMA_REGISTRY_SSL_* is set but SCHEMA_REGISTRY_URL=" + url
                    + " is not https://: the trust store and client certificate are for a TLS registry");
        }
        url = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        headers = Map.copyOf(headers);
    }

    public static RegistryConfig from(Settings settings) {
        String url = settings.required("SCHEMA_REGISTRY_URL", "the schema registry's URL, e.g. http://localhost:8081");
        Map<String, String> headers = new LinkedHashMap<>();
        settings.optional("SCHEMA_REGISTRY_BEARER_AUTH_LOGICAL_CLUSTER").ifPresent(v -> headers.put("target-sr-cluster", v));
        settings.optional("SCHEMA_REGISTRY_BEARER_AUTH_IDENTITY_POOL_ID").ifPresent(v -> headers.put("Confluent-Identity-Pool-Id", v));
        return new RegistryConfig(url, credentials(settings), headers, tls(settings),
                settings.bool("TRAVELART_AUTO_REGISTER_SCHEMAS", true));
    }

    /** At most one kind of credentials; each name is read whatever is set, so that what a program reads is one list. */
    private static Credentials credentials(Settings settings) {
        Optional<String> basic = settings.optional("SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO");
        Optional<String> token = settings.optional("SCHEMA_REGISTRY_BEARER_AUTH_TOKEN");
        Optional<String> tokenUrl = settings.optional("SCHEMA_REGISTRY_BEARER_AUTH_ISSUER_ENDPOINT_URL");
        Optional<String> clientId = settings.optional("SCHEMA_REGISTRY_BEARER_AUTH_CLIENT_ID");
        Optional<String> clientSecret = settings.optional("SCHEMA_REGISTRY_BEARER_AUTH_CLIENT_SECRET");
        Optional<String> scope = settings.optional("SCHEMA_REGISTRY_BEARER_AUTH_SCOPE");
        List<String> given = new ArrayList<>();
        basic.ifPresent(v -> given.add("SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO"));
        token.ifPresent(v -> given.add("SCHEMA_REGISTRY_BEARER_AUTH_TOKEN"));
        tokenUrl.ifPresent(v -> given.add("SCHEMA_REGISTRY_BEARER_AUTH_ISSUER_ENDPOINT_URL"));
        if (given.size() > 1) {
            throw new ConfigException(String.join(" and ", given) + " are both set: the registry takes one kind of credentials");
        }
        if (tokenUrl.isEmpty() && (clientId.isPresent() || clientSecret.isPresent())) {
            throw new ConfigException("SCHEMA_REGISTRY_BEARER_AUTH_CLIENT_ID/_SECRET are set without "
                    + "SCHEMA_REGISTRY_BEARER_AUTH_ISSUER_ENDPOINT_URL: the token endpoint they are for");
        }
        if (basic.isPresent()) {
            return new Basic(basic.get());
        }
        if (token.isPresent()) {
            return new StaticToken(token.get());
        }
        if (tokenUrl.isPresent()) {
            return new ClientCredentials(tokenUrl.get(),
                    clientId.orElseThrow(() -> new ConfigException("SCHEMA_REGISTRY_BEARER_AUTH_CLIENT_ID is not set: the OAuth "
                            + "client id for SCHEMA_REGISTRY_BEARER_AUTH_ISSUER_ENDPOINT_URL")),
                    clientSecret.orElseThrow(() -> new ConfigException("SCHEMA_REGISTRY_BEARER_AUTH_CLIENT_SECRET is not set: the "
                            + "OAuth client secret for SCHEMA_REGISTRY_BEARER_AUTH_ISSUER_ENDPOINT_URL")),
                    scope);
        }
        return new NoCredentials();
    }

    private static Tls tls(Settings settings) {
        return new Tls(store(settings, "TRUSTSTORE"), store(settings, "KEYSTORE"), settings.optional("SCHEMA_REGISTRY_SSL_KEY_PASSWORD"));
    }

    private static Optional<Store> store(Settings settings, String kind) {
        String prefix = "SCHEMA_REGISTRY_SSL_" + kind + "_";
        Optional<String> location = settings.optional(prefix + "LOCATION");
        Optional<String> password = settings.optional(prefix + "PASSWORD");
        String type = settings.string(prefix + "TYPE", "PKCS12");
        if (location.isEmpty() && password.isPresent()) {
            throw new ConfigException(prefix + "PASSWORD is set without " + prefix + "LOCATION");
        }
        return location.map(l -> new Store(Path.of(l), password, type));
    }

    public static RegistryConfig of(String url) {
        return new RegistryConfig(url, new NoCredentials(), Map.of(), Tls.DEFAULT, true);
    }

    /** The same registry with other credentials. */
    public RegistryConfig with(Credentials other) {
        return new RegistryConfig(url, other, headers, tls, autoRegister);
    }

    @Override
    public String toString() {
        String auth = switch (credentials) {
            case NoCredentials n -> "none";
            case Basic b -> "basic ****";
            case StaticToken t -> "bearer token ****";
            case ClientCredentials c -> "oauth client " + c.clientId() + " at " + c.tokenUrl();
        };
        String certificates = tls.isDefault() ? "" : ", tls=" + tls.trustStore().map(s -> "truststore " + s.location()).orElse("JVM trust")
                + tls.keyStore().map(s -> ", client certificate " + s.location()).orElse("");
        return "RegistryConfig[url=" + url.replaceFirst("^(https?://)[^/@]*@", "$1****@") + ", auth=" + auth + certificates
                + ", autoRegister=" + autoRegister + "]";
    }
}
