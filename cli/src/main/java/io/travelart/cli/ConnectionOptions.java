package io.travelart.cli;

import io.travelart.core.config.KafkaConfig;
import io.travelart.core.config.RegistryConfig;
import io.travelart.core.config.Settings;
import io.travelart.core.config.Topics;
import io.travelart.core.registry.SchemaRegistryClient;
import io.travelart.core.config.WorkerConfig;
import io.travelart.core.serde.EventSerde;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Where the cluster and registry are, for commands that use an existing stack. Flags win over
 * environment variables, which win over {@code travelart-data/dev.env} (written by {@code travelart dev up}),
 * which wins over localhost defaults. Other Kafka client settings come from {@code KAFKA_*} variables.
 */
public final class ConnectionOptions {

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT",
            description = "Kafka brokers. Default: $KAFKA_BOOTSTRAP_SERVERS, else travelart-data/dev.env, else localhost:9092.")
    String bootstrapServers;

    @Option(names = "--registry-url", paramLabel = "URL",
            description = "Schema registry URL. Default: $SCHEMA_REGISTRY_URL, else travelart-data/dev.env, else http://localhost:8081.")
    String registryUrl;

    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "travelart-data",
            description = "Where dev.env is looked for. Default: ${DEFAULT-VALUE}.")
    Path dataDir;

    private Settings settings;

    /** Read once per command: the environment and dev.env do not change while it runs. */
    Settings settings() {
        if (settings != null) {
            return settings;
        }
        Map<String, String> values = new HashMap<>();
        values.put("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092");
        values.put("SCHEMA_REGISTRY_URL", "http://localhost:8081");
        values.putAll(DevEnvFile.read(dataDir.resolve(DevEnvFile.NAME)));
        values.putAll(System.getenv());
        if (bootstrapServers != null) {
            values.put("KAFKA_BOOTSTRAP_SERVERS", bootstrapServers);
        }
        if (registryUrl != null) {
            values.put("SCHEMA_REGISTRY_URL", registryUrl);
        }
        settings = Settings.fromEnvironment(values);
        return settings;
    }

    KafkaConfig kafka() {
        return KafkaConfig.from(settings());
    }

    Topics topics() {
        return Topics.from(settings());
    }

    SchemaRegistryClient registry() {
        return new SchemaRegistryClient(RegistryConfig.from(settings()));
    }

    EventSerde serde() {
        return new EventSerde(registry(), RegistryConfig.from(settings()).autoRegister(), WorkerConfig.maxRecordBytes(settings()));
    }

    /** {@code KEY=value} lines that both this command and a shell ({@code set -a; . dev.env}) can read. */
    public static final class DevEnvFile {
        static final String NAME = "dev.env";

        public static Map<String, String> read(Path file) {
            Map<String, String> values = new HashMap<>();
            if (!Files.isRegularFile(file)) {
                return values;
            }
            try {
                for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    int eq = line.indexOf('=');
                    if (!line.startsWith("#") && eq > 0) {
                        values.put(line.substring(0, eq).trim(), line.substring(eq + 1).trim());
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return values;
        }

        static void write(Path file, Map<String, String> values) {
            StringBuilder text = new StringBuilder("# Written by 'travelart dev up'; removed when it stops.\n");
            values.forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
            try {
                Files.createDirectories(file.toAbsolutePath().getParent());
                Files.writeString(file, text, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
