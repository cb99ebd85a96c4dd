package io.travelart.webhook;

import io.travelart.core.config.ConfigException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EndpointsTest {

    private static final String SECRET = Endpoints.newSecret();

    @Test
    void readsOneEndpointAndSecretPerSourceSystem() {
        String other = Endpoints.newSecret();
        Endpoints endpoints = Endpoints.parse("my-shop=https://shop.example/hooks?token=t, other=http://10.0.0.5:8080/in",
                "my-shop=" + SECRET + ",other=" + other);
        assertThat(endpoints.size()).isEqualTo(2);
        assertThat(endpoints.forSource("my-shop").orElseThrow().origin()).isEqualTo("https://shop.example");
        assertThat(endpoints.forSource("other").orElseThrow().origin()).isEqualTo("http://10.0.0.5:8080");
        assertThat(endpoints.forSource("nobody")).isEmpty();
        assertThat(endpoints.forSource(null)).isEmpty();
    }

    @Test
    void refusesWhatCannotBeAnEndpointNamingTheSettingAndNeverTheSecret() {
        assertThatThrownBy(() -> Endpoints.parse("a=https://x.example", ""))
                .isInstanceOf(ConfigException.class).hasMessageContaining("no secret for a");
        assertThatThrownBy(() -> Endpoints.parse("", "a=" + SECRET))
                .isInstanceOf(ConfigException.class).hasMessageContaining("has no endpoint");
        assertThatThrownBy(() -> Endpoints.parse("a=ftp://x.example/in", "a=" + SECRET))
                .isInstanceOf(ConfigException.class).hasMessageContaining("http or https");
        assertThatThrownBy(() -> Endpoints.parse("a=/relative", "a=" + SECRET))
                .isInstanceOf(ConfigException.class).hasMessageContaining("http or https");
        assertThatThrownBy(() -> Endpoints.parse("a=https://user:pw@x.example/in", "a=" + SECRET))
                .isInstanceOf(ConfigException.class).hasMessageContaining("user information");
        assertThatThrownBy(() -> Endpoints.parse("a=https://x.example,a=https://y.example", "a=" + SECRET))
                .isInstanceOf(ConfigException.class).hasMessageContaining("twice");
        assertThatThrownBy(() -> Endpoints.parse("a=https://x.example", "a=secret-in-clear"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("whsec_").hasMessageNotContaining("secret-in-clear");
        assertThatThrownBy(() -> Endpoints.parse("a=https://x.example", "a=whsec_c2hvcnQ="))
                .isInstanceOf(ConfigException.class).hasMessageContaining("5 bytes");
        assertThatThrownBy(() -> Endpoints.parse("a=https://x.example", "a=whsec_!!!"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("base64");
    }
}
