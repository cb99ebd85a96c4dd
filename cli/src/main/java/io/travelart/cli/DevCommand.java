package io.travelart.cli;

import io.travelart.core.config.KafkaConfig;
import io.travelart.core.config.Topics;
import io.travelart.core.kafka.TopicSetup;
import io.travelart.devstack.DevStack;
import io.travelart.devstack.OpenAiSimulator;
import io.travelart.devstack.SimulatorSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

@Command(name = "dev", description = "The embedded development stack.", subcommands = {DevCommand.Up.class, DevCommand.Simulator.class},
        mixinStandardHelpOptions = true)
final class DevCommand {

    @Command(name = "up", mixinStandardHelpOptions = true,
            description = "Starts Kafka, the schema registry and the OpenAI simulator on 127.0.0.1 and keeps them up until Ctrl-C. "
                    + "Writes their addresses to DATA-DIR/dev.env for the worker jars and other clients.")
    static final class Up implements Callable<Integer> {

        @Option(names = "--data-dir", defaultValue = "travelart-data", description = "Default: ${DEFAULT-VALUE}.")
        Path dataDir;

        @Option(names = "--partitions", defaultValue = "3", description = "Partitions of the topics it creates. Default: ${DEFAULT-VALUE}.")
        int partitions;

        @Option(names = "--no-topics", description = "Do not create the four topics.")
        boolean noTopics;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws IOException, InterruptedException {
            PrintWriter out = spec.commandLine().getOut();
            Path stackDir = dataDir.resolve("dev");
            Files.createDirectories(stackDir);
            // A fresh broker each time: ports are new on every start, and stale topics would confuse.
            DemoCommand.deleteRecursively(stackDir.resolve("kafka"));
            out.println("Starting Kafka, the schema registry and the OpenAI simulator...");
            out.flush();
            DevStack stack = DevStack.start(stackDir, Optional.of(SimulatorSettings.defaults()));
            Path envFile = dataDir.resolve(ConnectionOptions.DevEnvFile.NAME);
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
            if (!noTopics) {
                try (TopicSetup topics = new TopicSetup(KafkaConfig.of(stack.bootstrapServers()), Duration.ofSeconds(30))) {
                    topics.create(Topics.DEFAULT.all(), partitions, (short) 1);
                }
            }
            Map<String, String> env = stack.environment();
            ConnectionOptions.DevEnvFile.write(envFile, env);
            out.println();
            out.println("Kafka            " + stack.bootstrapServers());
            out.println("Schema registry  " + stack.registryUrl());
            out.println("OpenAI simulator " + stack.simulator().orElseThrow().baseUrl());
            out.println(noTopics ? "Topics           not created (--no-topics)" : "Topics           " + String.join(", ", Topics.DEFAULT.all())
                    + " (" + partitions + " partitions)");
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
    }

    @Command(name = "simulator", mixinStandardHelpOptions = true,
            description = "Runs the OpenAI-compatible simulator alone until stopped (Ctrl-C or SIGTERM), e.g. as the "
                    + "docker-compose 'simulator' profile does. Workers use it with OPENAI_BASE_URL=http://HOST:PORT/v1 and any OPENAI_API_KEY.")
    static final class Simulator implements Callable<Integer> {

        @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to listen on (0.0.0.0 in a container). Default: ${DEFAULT-VALUE}.")
        String host;

        @Option(names = "--port", defaultValue = "8000", description = "Default: ${DEFAULT-VALUE}.")
        int port;

        @Option(names = "--chat-latency", defaultValue = "200ms", description = "Time a chat completion takes. Default: ${DEFAULT-VALUE}.")
        String chatLatency;

        @Option(names = "--image-latency", defaultValue = "500ms", description = "Time an image takes. Default: ${DEFAULT-VALUE}.")
        String imageLatency;

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
