package io.travelart.core.config;

import io.travelart.core.openai.OpenAiConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SettingsTest {

    @Test
    void kafkaSettingsPassThroughUnchanged() {
        KafkaConfig kafka = KafkaConfig.from(Settings.of(Map.of(
                "KAFKA_BOOTSTRAP_SERVERS", "broker:9093",
                "KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
                "KAFKA_SASL_JAAS_CONFIG", "org.apache.kafka.common.security.plain.PlainLoginModule required password=\"x\";",
                "KAFKA_HEAP_OPTS", "-Xmx1g",
                "KAFKA_HOME", "/opt/kafka",
                "PATH", "/usr/bin")));

        assertThat(kafka.clientProperties()).containsOnlyKeys("bootstrap.servers", "security.protocol", "sasl.jaas.config");
        assertThat(kafka.describe().get("sasl.jaas.config")).isEqualTo("****");
    }

    @Test
    void missingBootstrapServersNamesTheSetting() {
        assertThatThrownBy(() -> KafkaConfig.from(Settings.of(Map.of())))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("KAFKA_BOOTSTRAP_SERVERS is not set");
    }

    @Test
    void badValuesNameTheSettingAndWhatIsAccepted() {
        Settings settings = Settings.of(Map.of("TRAVELART_MAX_IN_FLIGHT", "many", "TRAVELART_OPENAI_TIMEOUT", "soon",
                "TRAVELART_AUTO_REGISTER_SCHEMAS", "perhaps"));

        assertThatThrownBy(() -> settings.intValue("TRAVELART_MAX_IN_FLIGHT", 16, 1, 10_000))
                .hasMessage("TRAVELART_MAX_IN_FLIGHT=many is not accepted: expected an integer from 1 to 10000");
        assertThatThrownBy(() -> settings.duration("TRAVELART_OPENAI_TIMEOUT", Duration.ZERO))
                .hasMessageContaining("TRAVELART_OPENAI_TIMEOUT=soon is not accepted");
        assertThatThrownBy(() -> settings.bool("TRAVELART_AUTO_REGISTER_SCHEMAS", true))
                .hasMessageContaining("expected true or false");
        assertThatThrownBy(() -> Settings.of(Map.of("TRAVELART_MAX_IN_FLIGHT", "0")).intValue("TRAVELART_MAX_IN_FLIGHT", 16, 1, 10))
                .isInstanceOf(ConfigException.class);
    }

    @Test
    void durationsTakeUnitsOrIso() {
        assertThat(Settings.parseDuration("250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(Settings.parseDuration("1.5s")).isEqualTo(Duration.ofMillis(1500));
        assertThat(Settings.parseDuration("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(Settings.parseDuration("PT30S")).isEqualTo(Duration.ofSeconds(30));
        assertThat(Settings.parseDuration("40")).isEqualTo(Duration.ofMillis(40));
    }

    @Test
    void aPropertiesFileIsReadUnderTheEnvironment(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("worker.properties");
        Files.writeString(file, "travelart.max-in-flight=32\nkafka.bootstrap.servers=from-file:9092\n");

        Settings settings = Settings.fromEnvironment(Map.of("TRAVELART_CONFIG_FILE", file.toString(),
                "KAFKA_BOOTSTRAP_SERVERS", "from-env:9092"));

        assertThat(settings.intValue("TRAVELART_MAX_IN_FLIGHT", 16, 1, 100)).isEqualTo(32);
        assertThat(KafkaConfig.from(settings).bootstrapServers()).isEqualTo("from-env:9092");
    }

    @Test
    void openAiBaseUrlMustEndInV1AndTheKeyStaysSecret() {
        assertThatThrownBy(() -> OpenAiConfig.from(Settings.of(Map.of("OPENAI_BASE_URL", "http://localhost:8080"))))
                .hasMessageContaining("must end in /v1");
        OpenAiConfig config = OpenAiConfig.from(Settings.of(Map.of("OPENAI_API_KEY", "sk-very-secret")));
        assertThat(config.baseUrl()).isEqualTo("https://api.openai.com/v1");
        assertThat(config.toString()).doesNotContain("sk-very-secret");
        assertThatThrownBy(() -> OpenAiConfig.from(Settings.of(Map.of())).requireApiKey())
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("OPENAI_API_KEY is not set");
    }

    @Test
    void registryUrlMustBeHttp() {
        assertThatThrownBy(() -> RegistryConfig.from(Settings.of(Map.of("SCHEMA_REGISTRY_URL", "localhost:8081"))))
                .hasMessageContaining("SCHEMA_REGISTRY_URL=localhost:8081 is not accepted");
        assertThatThrownBy(() -> RegistryConfig.from(Settings.of(Map.of())))
                .hasMessageStartingWith("SCHEMA_REGISTRY_URL is not set");
    }
}
