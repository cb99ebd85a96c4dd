package io.travelart.core.config;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class KafkaConfigTest {

    private static final String JAAS = "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" password=\"hunter2\";";
    private static final String PEM = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----";

    @Test
    void whatIsLoggedAndPrintedMasksEverySecretButShowsTheRest() {
        KafkaConfig kafka = KafkaConfig.from(Settings.of(Map.of(
                "KAFKA_BOOTSTRAP_SERVERS", "broker:9093",
                "KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
                "KAFKA_SASL_JAAS_CONFIG", JAAS,
                "KAFKA_SSL_KEYSTORE_KEY", PEM,
                "KAFKA_SSL_KEYSTORE_CERTIFICATE_CHAIN", "-----BEGIN CERTIFICATE-----",
                "KAFKA_SSL_TRUSTSTORE_CERTIFICATES", "-----BEGIN CERTIFICATE-----",
                "KAFKA_SSL_KEY_PASSWORD", "hunter3",
                "KAFKA_SASL_OAUTHBEARER_CLIENT_CREDENTIALS_CLIENT_SECRET", "hunter4")));

        for (String shown : new String[]{kafka.describe().toString(), kafka.toString(),
                new WorkerConfigShape(kafka).toString()}) {
            assertThat(shown).contains("broker:9093").contains("SASL_SSL")
                    .doesNotContain("hunter2", "PRIVATE KEY", "BEGIN CERTIFICATE", "hunter3", "hunter4");
        }
    }

    /** A record holding the config, as WorkerConfig does: its generated toString goes through KafkaConfig's. */
    private record WorkerConfigShape(KafkaConfig kafka) {
    }
}
