package io.travelart.cli;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The worker jars as the programs users run: what they say, in one line, when they cannot start. */
class WorkerProgramTest {

    private final LocalPipeline pipeline = SharedPipeline.get();

    private record Exit(int code, String stderr) {
    }

    private static Exit run(String worker, Map<String, String> env) throws IOException, InterruptedException {
        Path jar = Path.of("..", worker, "target", worker + ".jar");
        Assumptions.assumeTrue(Files.isRegularFile(jar), jar + " is not built (run mvn verify, not mvn test)");
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar.toString());
        builder.environment().keySet().removeIf(k -> k.startsWith("OPENAI_") || k.startsWith("KAFKA_")
                || k.startsWith("SCHEMA_REGISTRY") || k.startsWith("TRAVELART_"));
        builder.environment().putAll(env);
        builder.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        Process process = builder.start();
        String stderr = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("%s exits", worker).isTrue();
        return new Exit(process.exitValue(), stderr.strip());
    }

    private Map<String, String> stack() {
        return Map.of("KAFKA_BOOTSTRAP_SERVERS", pipeline.stack().bootstrapServers(),
                "SCHEMA_REGISTRY_URL", pipeline.stack().registryUrl(), "TRAVELART_INSTANCE_ID", "program-test");
    }

    @Test
    void withoutAnApiKeyThePromptWorkerSaysSoAndExitsOne() throws Exception {
        Exit exit = run("prompt-worker", stack());

        assertThat(exit.code()).isEqualTo(1);
        assertThat(exit.stderr()).startsWith("prompt-worker: OPENAI_API_KEY is not set").doesNotContain("\n");
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
        assertThat(exit.stderr()).startsWith("prompt-worker: listing topics failed: Kafka at 127.0.0.1:1 did not answer")
                .doesNotContain("\n");
    }
}
