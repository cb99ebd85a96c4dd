package io.travelart.core.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RegistryConfigTest {

    private static RegistryConfig read(String... pairs) {
        Map<String, String> env = new HashMap<>(Map.of("SCHEMA_REGISTRY_URL", "https://registry.example.com/"));
        for (int i = 0; i < pairs.length; i += 2) {
            env.put(pairs[i], pairs[i + 1]);
        }
        return RegistryConfig.from(Settings.of(env));
    }

    @Test
    void eachKindOfCredentialsIsReadAndNoneShowsItsSecret() {
        assertThat(read().credentials()).isEqualTo(new RegistryConfig.NoCredentials());
        assertThat(read("SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO", "key:s3cret").credentials())
                .isEqualTo(new RegistryConfig.Basic("key:s3cret"));
        RegistryConfig token = read("SCHEMA_REGISTRY_BEARER_AUTH_TOKEN", "tok-s3cret");
        assertThat(token.credentials()).isEqualTo(new RegistryConfig.StaticToken("tok-s3cret"));
        RegistryConfig oauth = read("SCHEMA_REGISTRY_BEARER_AUTH_ISSUER_ENDPOINT_URL", "https://idp.example.com/token",
                "SCHEMA_REGISTRY_BEARER_AUTH_CLIENT_ID", "travelart", "SCHEMA_REGISTRY_BEARER_AUTH_CLIENT_SECRET", "s3cret",
                "SCHEMA_REGISTRY_BEARER_AUTH_LOGICAL_CLUSTER", "lsrc-123", "SCHEMA_REGISTRY_BEARER_AUTH_IDENTITY_POOL_ID", "pool-9");
        assertThat(oauth.credentials()).isEqualTo(new RegistryConfig.ClientCredentials("https://idp.example.com/token",
                "travelart", "s3cret", Optional.empty()));
        assertThat(oauth.headers()).containsEntry("target-sr-cluster", "lsrc-123").containsEntry("Confluent-Identity-Pool-Id", "pool-9");
        assertThat(oauth.url()).isEqualTo("https://registry.example.com");
        for (RegistryConfig config : new RegistryConfig[] {token, oauth, read("SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO", "key:s3cret")}) {
            assertThat(config.toString()).doesNotContain("s3cret");
        }
        assertThat(oauth.toString()).contains("oauth client travelart at https://idp.example.com/token");
    }

    @Test
    void contradictionsAndHalvesAreRefusedNamingTheSettings() {
        assertThatThrownBy(() -> read("SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO", "a:b", "SCHEMA_REGISTRY_BEARER_AUTH_TOKEN", "t"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO and SCHEMA_REGISTRY_BEARER_AUTH_TOKEN are both set: the registry "
                        + "takes one kind of credentials");
        assertThatThrownBy(() -> read("SCHEMA_REGISTRY_BEARER_AUTH_ISSUER_ENDPOINT_URL", "https://idp/token",
                "SCHEMA_REGISTRY_BEARER_AUTH_CLIENT_ID", "c"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("SCHEMA_REGISTRY_BEARER_AUTH_CLIENT_SECRET is not set");
        assertThatThrownBy(() -> read("SCHEMA_REGISTRY_BEARER_AUTH_CLIENT_ID", "c", "SCHEMA_REGISTRY_BEARER_AUTH_CLIENT_SECRET", "s"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("without SCHEMA_REGISTRY_BEARER_AUTH_ISSUER_ENDPOINT_URL");
        assertThatThrownBy(() -> read("SCHEMA_REGISTRY_BEARER_AUTH_ISSUER_ENDPOINT_URL", "idp/token",
                "SCHEMA_REGISTRY_BEARER_AUTH_CLIENT_ID", "c", "SCHEMA_REGISTRY_BEARER_AUTH_CLIENT_SECRET", "s"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("expected an http:// or https:// URL");
        assertThatThrownBy(() -> read("SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO", "no-colon"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("expected user:password");
        assertThatThrownBy(() -> read("SCHEMA_REGISTRY_SSL_TRUSTSTORE_PASSWORD", "p"))
                .isInstanceOf(ConfigException.class).hasMessage("SCHEMA_REGISTRY_SSL_TRUSTSTORE_PASSWORD is set without "
                        + "SCHEMA_REGISTRY_SSL_TRUSTSTORE_LOCATION");
    }

    @Test
    void storesAreForAnHttpsRegistryOnly() {
        RegistryConfig tls = read("SCHEMA_REGISTRY_SSL_TRUSTSTORE_LOCATION", "/etc/ca.p12", "SCHEMA_REGISTRY_SSL_KEYSTORE_LOCATION",
                "/etc/client.jks", "SCHEMA_REGISTRY_SSL_KEYSTORE_TYPE", "JKS", "SCHEMA_REGISTRY_SSL_KEYSTORE_PASSWORD", "kp");
        assertThat(tls.tls().trustStore()).contains(new RegistryConfig.Store(Path.of("/etc/ca.p12"), Optional.empty(), "PKCS12"));
        assertThat(tls.tls().keyStore()).contains(new RegistryConfig.Store(Path.of("/etc/client.jks"), Optional.of("kp"), "JKS"));
        assertThat(tls.toString()).contains("truststore /etc/ca.p12").contains("client certificate /etc/client.jks").doesNotContain("kp");
        assertThatThrownBy(() -> RegistryConfig.from(Settings.of(Map.of("SCHEMA_REGISTRY_URL", "http://registry:8081",
                "SCHEMA_REGISTRY_SSL_TRUSTSTORE_LOCATION", "/etc/ca.p12"))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("is not https://");
    }
}
