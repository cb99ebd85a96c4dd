package io.travelart.cli;

import io.travelart.core.config.KafkaConfig;
import io.travelart.core.config.RegistryConfig;
import io.travelart.core.config.Settings;
import io.travelart.core.config.Topics;
import io.travelart.webhook.WebhookTopics;
import io.travelart.core.kafka.TopicSetup;
import io.travelart.core.registry.SchemaRegistryClient;
import io.travelart.devstack.DevStack;
import io.travelart.devstack.kafka.EmbeddedKafka;
import io.travelart.devstack.openai.OpenAiSimulator;
import io.travelart.devstack.openai.SimulatorSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

@Command(name = "dev", description = "The embedded development stack.", subcommands = {DevCommand.Up.class, DevCommand.Simulator.class},
        mixinStandardHelpOptions = true)
public final class DevCommand {

    @Command(name = "up", mixinStandardHelpOptions = true,
            description = "Starts Kafka, the schema registry and the OpenAI simulator on 127.0.0.1 and keeps them up until Ctrl-C. "
                    + "Writes their addresses to DATA-DIR/dev.env for the worker jars and other clients.")
    public static final class Up implements Callable<Integer> {

        @Option(names = "--data-dir", defaultValue = "travelart-data", description = "Default: ${DEFAULT-VALUE}.")
        Path dataDir;

        @Option(names = "--partitions", defaultValue = "3", description = "Partitions of the topics it creates. Default: ${DEFAULT-VALUE}.")
        int partitions;

        @Option(names = "--no-topics", description = "Do not create the five topics.")
        boolean noTopics;

        @Option(names = "--image-latency", defaultValue = "500ms", converter = DurationConverter.class,
                description = "Time the simulator takes to draw an image (20s leaves time to cancel one by hand). Default: ${DEFAULT-VALUE}.")
        Duration imageLatency;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws IOException, InterruptedException {
            PrintWriter out = spec.commandLine().getOut();
            Path envFile = dataDir.resolve(ConnectionOptions.DevEnvFile.NAME);
            DevStack<EmbeddedKafka> stack = bringUp(dataDir, noTopics ? 0 : partitions,
                    SimulatorSettings.defaults().withLatency(SimulatorSettings.defaults().chatLatency(), imageLatency), out);
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    Files.deleteIfExists(envFile);
                } catch (IOException ignored) {
                    // best effort: a stale dev.env only points at ports nobody listens on
                }
                stack.close();
                stopped.countDown();
            }, "dev-up-stop"));
            out.println();
            out.println("Written to " + envFile + "; in another shell:");
            out.println("  set -a; . " + envFile + "; set +a");
            out.println("  java -jar prompt-worker/target/prompt-worker.jar &");
            out.println("  java -jar image-worker/target/image-worker.jar &");
            out.println("  ./travelart publish --keyword '겨울밤의 파리' && ./travelart watch");
            out.println();
            out.println("Press Ctrl-C to stop.");
            out.flush();
            stopped.await();
            return 0;
        }

        /**
         * Starts the stack under {@code dataDir/dev}, creates the topics ({@code partitions} 0: none), registers the
         * schemas, writes {@code dataDir/dev.env} and prints the addresses.
         */
        public static DevStack<EmbeddedKafka> bringUp(Path dataDir, int partitions, PrintWriter out) throws IOException {
            return bringUp(dataDir, partitions, SimulatorSettings.defaults(), out);
        }

        static DevStack<EmbeddedKafka> bringUp(Path dataDir, int partitions, SimulatorSettings simulator, PrintWriter out)
                throws IOException {
            Path stackDir = dataDir.resolve("dev");
            Files.createDirectories(stackDir);
            // A fresh broker each time: ports are new on every start, and stale topics would confuse.
            Directories.deleteRecursively(stackDir.resolve("kafka"));
            out.println("Starting Kafka, the schema registry and the OpenAI simulator...");
            out.flush();
            DevStack<EmbeddedKafka> stack = DevStack.start(stackDir, Optional.of(simulator));
            try {
                if (partitions > 0) {
                    try (TopicSetup topics = new TopicSetup(KafkaConfig.of(stack.bootstrapServers()), Duration.ofSeconds(30))) {
                        topics.create(Topics.DEFAULT, partitions, (short) 1);
                        topics.create(WebhookTopics.DEFAULT.all(), partitions, (short) 1);
                    }
                }
                Map<String, String> env = stack.environment();
                // The contract in the registry from the start: a publisher in any language reads keyword-requested-value there.
                SchemasCommand.registerAll(new SchemaRegistryClient(RegistryConfig.from(Settings.of(env))), Topics.DEFAULT);
                Path envFile = dataDir.resolve(ConnectionOptions.DevEnvFile.NAME);
                ConnectionOptions.DevEnvFile.write(envFile, env);
                out.println();
                out.println("Kafka            " + stack.bootstrapServers());
                out.println("Schema registry  " + stack.registryUrl());
                out.println("OpenAI simulator " + stack.simulator().orElseThrow().baseUrl());
                out.println(partitions == 0 ? "Topics           not created (--no-topics)" : "Topics           "
                        + String.join(", ", Topics.DEFAULT.all()) + ", " + String.join(", ", WebhookTopics.DEFAULT.all()) + " (" + partitions
                        + " partitions)");
                out.println("Schemas          registered as <topic>-value, compatibility BACKWARD");
                return stack;
            } catch (RuntimeException e) {
                stack.close();
                throw e;
            }
        }
    }

    @Command(name = "simulator", mixinStandardHelpOptions = true,
            description = "Runs the OpenAI-compatible simulator alone until stopped (Ctrl-C or SIGTERM), e.g. as the "
                    + "docker-compose 'simulator' profile does. Workers use it with OPENAI_BASE_URL=http://HOST:PORT/v1 and any OPENAI_API_KEY.")
    public static final class Simulator implements Callable<Integer> {

        @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to listen on (0.0.0.0 in a container). Default: ${DEFAULT-VALUE}.")
        String host;

        @Option(names = "--port", defaultValue = "8000", description = "Default: ${DEFAULT-VALUE}.")
        int port;

        @Option(names = "--chat-latency", defaultValue = "200ms", description = "Time a chat completion takes. Default: ${DEFAULT-VALUE}.")
        String chatLatency;

        @Option(names = "--image-latency", defaultValue = "500ms", description = "Time an image takes. Default: ${DEFAULT-VALUE}.")
        String imageLatency;

        @Option(names = "--shutdown-date", paramLabel = "MODEL=DATE",
                description = "Announce (YYYY-MM-DD; today or earlier retires it) or withdraw (none) a model's shutdown date, "
                        + "over OpenAI's published dates built in. Repeatable.")
        List<String> shutdownDates = new java.util.ArrayList<>();

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws InterruptedException {
            SimulatorSettings settings;
            try {
                settings = SimulatorSettings.defaults().withLatency(io.travelart.core.config.Settings.parseDuration(chatLatency),
                        io.travelart.core.config.Settings.parseDuration(imageLatency));
            } catch (RuntimeException e) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), "a latency is a duration like 200ms or 2s: " + e.getMessage());
            }
            OpenAiSimulator simulator = OpenAiSimulator.start(new java.net.InetSocketAddress(host, port), settings);
            try {
                shutdownDates.forEach(simulator.models()::shutDownOn);
            } catch (RuntimeException e) {
                simulator.close();
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--shutdown-date: " + e.getMessage());
            }
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                simulator.close();
                stopped.countDown();
            }, "simulator-stop"));
            PrintWriter out = spec.commandLine().getOut();
            out.println("OpenAI simulator on http://" + host + ":" + port + "/v1 (chat " + chatLatency + ", images " + imageLatency
                    + "); Ctrl-C to stop.");
            out.flush();
            stopped.await();
            return 0;
        }
    }
}
