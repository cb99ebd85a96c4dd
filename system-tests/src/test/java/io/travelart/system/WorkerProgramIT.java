package io.travelart.system;

import io.travelart.cli.local.LocalPipeline;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The worker jars as the programs users run: what they say, in one line, when they cannot start. */
class WorkerProgramIT {

    private final LocalPipeline pipeline = SharedPipeline.get();

    private record Exit(int code, String stderr) {
    }

    private static Process start(String worker, Map<String, String> env) throws IOException {
        Path jar = Path.of("..", worker, "target", worker + ".jar");
        Assumptions.assumeTrue(Files.isRegularFile(jar), jar + " is not built (run mvn verify, not mvn test)");
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar.toString());
        builder.environment().keySet().removeIf(k -> k.startsWith("OPENAI_") || k.startsWith("KAFKA_")
                || k.startsWith("SCHEMA_REGISTRY") || k.startsWith("TRAVELART_"));
        builder.environment().putAll(env);
        builder.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        return builder.start();
    }

    private static Exit run(String worker, Map<String, String> env) throws IOException, InterruptedException {
        Process process = start(worker, env);
        String stderr = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("%s exits", worker).isTrue();
        return new Exit(process.exitValue(), stderr.strip());
    }

    private Map<String, String> stack() {
        return Map.of("KAFKA_BOOTSTRAP_SERVERS", pipeline.stack().bootstrapServers(),
                "SCHEMA_REGISTRY_URL", pipeline.stack().registryUrl(), "TRAVELART_INSTANCE_ID", "program-test",
                "TRAVELART_MANAGEMENT_PORT", "0");
    }

    @Test
    void onSigtermAWorkerLeavesItsGroupAndExitsZero() throws Exception {
        Map<String, String> env = new java.util.HashMap<>(stack());
        env.putAll(Map.of("OPENAI_API_KEY", "sk-simulator", "OPENAI_BASE_URL", pipeline.stack().environment().get("OPENAI_BASE_URL"),
                "TRAVELART_INSTANCE_ID", "sigterm-test"));
        Process process = start("prompt-worker", env);
        Thread stderr = new Thread(() -> {
            try {
                process.getErrorStream().transferTo(java.io.OutputStream.nullOutputStream());
            } catch (IOException ignored) {
                // the process is gone
            }
        });
        stderr.setDaemon(true);
        stderr.start();
        try (Admin admin = Admin.create(pipeline.kafka().with(Map.of()))) {
            // Running means: a member of its group, with partitions (the in-process prompt-worker is the other member).
            await().atMost(Duration.ofSeconds(60)).until(() -> admin.describeConsumerGroups(List.of("travelart-prompt-worker"))
                    .all().get().get("travelart-prompt-worker").members().stream()
                    .anyMatch(m -> m.clientId().startsWith("prompt-worker-sigterm-test") && !m.assignment().topicPartitions().isEmpty()));

            process.destroy(); // SIGTERM

            assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("prompt-worker exits after SIGTERM").isTrue();
            assertThat(process.exitValue()).isZero();
            assertThat(admin.describeConsumerGroups(List.of("travelart-prompt-worker")).all().get().get("travelart-prompt-worker")
                    .members()).noneMatch(m -> m.clientId().startsWith("prompt-worker-sigterm-test"));
        } finally {
            process.destroyForcibly();
        }
    }

    @Test
    void withoutAnApiKeyThePromptWorkerSaysSoAndExitsOne() throws Exception {
        Exit exit = run("prompt-worker", stack());

        assertThat(exit.code()).isEqualTo(1);
        assertThat(exit.stderr()).startsWith("prompt-worker: OPENAI_API_KEY is not set").doesNotContain("\n");
    }

    @Test
    void withAShutDownModelTheImageWorkerNamesItsDateAndReplacementAndExitsOne() throws Exception {
        Map<String, String> env = new java.util.HashMap<>(stack());
        env.putAll(Map.of("OPENAI_API_KEY", "sk-simulator", "OPENAI_BASE_URL", pipeline.stack().environment().get("OPENAI_BASE_URL"),
                "TRAVELART_IMAGE_MODEL", "gpt-image-1"));
        Exit exit = run("image-worker", env);

        assertThat(exit.code()).isEqualTo(1);
        assertThat(exit.stderr()).isEqualTo("image-worker: TRAVELART_IMAGE_MODEL=gpt-image-1 was shut down on 2026-10-23; "
                + "replacement: gpt-image-2.6-flare (HTTP 404 model_not_found)");
    }

    @Test
    void withAMissingTopicTheImageWorkerNamesItAndExitsOne() throws Exception {
        Map<String, String> env = new java.util.HashMap<>(stack());
        env.putAll(Map.of("OPENAI_API_KEY", "sk-simulator", "TRAVELART_TOPIC_IMAGE_READY", "no-such-topic",
                "TRAVELART_IMAGE_HTTP_PORT", "0"));

        Exit exit = run("image-worker", env);

        assertThat(exit.code()).isEqualTo(1);
        assertThat(exit.stderr()).isEqualTo("image-worker: topic no-such-topic does not exist on "
                + pipeline.stack().bootstrapServers() + "; create with: travelart topics create");
    }

    @Test
    void withAnUnreachableBrokerThePromptWorkerSaysSoAndExitsOne() throws Exception {
        Exit exit = run("prompt-worker", Map.of("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1",
                "SCHEMA_REGISTRY_URL", pipeline.stack().registryUrl(), "OPENAI_API_KEY", "sk-simulator"));

        assertThat(exit.code()).isEqualTo(1);
        assertThat(exit.stderr()).startsWith("prompt-worker: checking topics and permissions failed: Kafka at 127.0.0.1:1 did not answer")
                .doesNotContain("\n");
    }
}
