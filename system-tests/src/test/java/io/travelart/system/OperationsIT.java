package io.travelart.system;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.travelart.cli.records.CommittedRecords;
import io.travelart.cli.bench.WorkerProcess;
import io.travelart.core.engine.EventHeaders;
import io.travelart.devstack.process.Ports;
import io.travelart.devstack.openai.SimulatorSettings;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The workers as operators run them, each in its own process with JSON logs and secrets in its
 * environment: health endpoints, every metric of docs/metrics.md's table non-zero after a run with retries and
 * rate limits, trace and CloudEvents headers on the events, the request id on every log line about a
 * request, and no secret in any log line.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OperationsIT {

    private static final String API_KEY = "sk-canary-0123456789abcdef0123456789abcdef";
    private static final String REGISTRY_PASSWORD = "canary-registry-password-77";
    private static final String KAFKA_PASSWORD = "canary-kafka-key-password-99";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private ProcessPipeline<?> pipeline;

    @BeforeAll
    void startStack() {
        pipeline = ProcessPipeline.start(SimulatorSettings.defaults().withReusedImages(true)
                .withLatency(Duration.ofMillis(100), Duration.ofMillis(400)));
    }

    @AfterAll
    void stopStack() throws InterruptedException {
        if (pipeline != null) {
            pipeline.close();
        }
    }

    private HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aRunExposesEveryMetricHealthHeadersAndJsonLogsWithoutSecrets() throws Exception {
        int[] ports = Ports.free(2);
        int promptPort = ports[0];
        int imagePort = ports[1];
        Map<String, String> common = Map.of("OPENAI_API_KEY", API_KEY, "TRAVELART_LOG_FORMAT", "json",
                "SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO", "travelart:" + REGISTRY_PASSWORD,
                "KAFKA_SSL_KEY_PASSWORD", KAFKA_PASSWORD, "TRAVELART_RETRY_INITIAL_BACKOFF", "50ms");
        Map<String, String> prompt = new HashMap<>(common);
        prompt.putAll(Map.of("TRAVELART_MANAGEMENT_PORT", Integer.toString(promptPort), "TRAVELART_MAX_IN_FLIGHT", "4",
                "TRAVELART_CHAT_REQUESTS_PER_MINUTE", "1200"));
        Map<String, String> image = new HashMap<>(common);
        image.putAll(Map.of("TRAVELART_MANAGEMENT_PORT", Integer.toString(imagePort), "TRAVELART_IMAGES_PER_MINUTE", "600"));
        WorkerProcess promptWorker = pipeline.worker("prompt-worker", "ops", prompt);
        WorkerProcess imageWorker = pipeline.worker("image-worker", "ops", image);

        for (int port : List.of(promptPort, imagePort)) {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                    .until(() -> get(port, "/health/ready").statusCode() == 200);
            HttpResponse<String> live = get(port, "/health/live");
            assertThat(live.statusCode()).isEqualTo(200);
            assertThat(live.body()).contains("\"status\":\"UP\"");
            assertThat(get(port, "/nothing-here").statusCode()).isEqualTo(404);
        }

        // Every fifth call fails with a 503, so retries happen; the limits make calls wait.
        pipeline.simulator().settings(pipeline.simulator().settings().withFaults(503, 0.2));
        List<String> ids = pipeline.publish(30, "Seoul night market");
        ids.add(pipeline.publishKeyword("   "));
        String poison = pipeline.send("ops-poison-" + System.nanoTime(), "not avro".getBytes(StandardCharsets.UTF_8));
        Map<String, Double> highest = new HashMap<>();
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(300)).until(() -> {
            for (int port : List.of(promptPort, imagePort)) {
                samples(get(port, "/metrics").body()).forEach((name, value) -> highest.merge(name, value, Math::max));
            }
            return pipeline.readyCounts().keySet().containsAll(ids.subList(0, 30)) && pipeline.failures(ids).size() == 1
                    && pipeline.failuresByKey(List.of(poison)).size() == 1;
        });
        for (int port : List.of(promptPort, imagePort)) {
            samples(get(port, "/metrics").body()).forEach((name, value) -> highest.merge(name, value, Math::max));
        }

        List<String> table = documentedMetrics();
        assertThat(table).as("metrics listed in docs/metrics.md").hasSizeGreaterThan(10);
        for (String metric : table) {
            String base = metric.replace('.', '_');
            assertThat(highest.entrySet()).as("a sample of %s (%s*) above zero", metric, base)
                    .anySatisfy(e -> {
                        assertThat(e.getKey()).startsWith(base);
                        assertThat(e.getValue()).isPositive();
                    });
        }
        System.out.printf("operations: %d metrics of the docs/metrics.md table above zero; e.g. retries %s, cost %s USD%n", table.size(),
                highest.get("travelart_retries_total"), highest.get("travelart_cost_estimated_usd_total"));

        checkHeaders(ids.subList(0, 30));

        assertThat(imageWorker.stop()).isZero();
        assertThat(promptWorker.stop()).isZero();
        checkLogs(ids);
    }

    /** Each image-ready continues the trace its keyword-requested started, with CloudEvents attributes of its own. */
    private void checkHeaders(List<String> ids) {
        Map<String, String> traceOfRequest = new HashMap<>();
        CommittedRecords.read(pipelineKafka(), "keyword-requested", r -> {
            if (ids.contains(key(r))) {
                traceOfRequest.put(key(r), EventHeaders.traceId(r.headers().lastHeader(EventHeaders.TRACEPARENT).value()).orElseThrow());
            }
        });
        List<ConsumerRecord<byte[], byte[]>> ready = new ArrayList<>();
        CommittedRecords.read(pipelineKafka(), "image-ready", r -> {
            if (ids.contains(key(r))) {
                ready.add(r);
            }
        });
        Set<String> eventIds = new HashSet<>();
        assertThat(ready).hasSize(ids.size()).allSatisfy(r -> {
            assertThat(EventHeaders.traceId(r.headers().lastHeader(EventHeaders.TRACEPARENT).value())).contains(traceOfRequest.get(key(r)));
            assertThat(header(r, EventHeaders.CE_TYPE)).isEqualTo("io.travelart.events.ImageReady");
            assertThat(header(r, EventHeaders.CE_SOURCE)).isEqualTo("/travelart/image");
            assertThat(header(r, EventHeaders.CE_SPECVERSION)).isEqualTo("1.0");
            assertThat(header(r, EventHeaders.CE_SUBJECT)).isEqualTo(key(r));
            assertThat(header(r, EventHeaders.CONTENT_TYPE)).isEqualTo("application/avro");
            assertThat(Instant.parse(header(r, EventHeaders.CE_TIME))).isBefore(Instant.now());
            assertThat(eventIds.add(header(r, EventHeaders.CE_ID))).as("ce_id unique").isTrue();
        });
    }

    /** Every line is JSON; a line that names a request carries its id in the MDC; no secret anywhere. */
    private void checkLogs(List<String> ids) throws IOException {
        int lines = 0;
        int aboutRequests = 0;
        int retries = 0;
        int undecodable = 0;
        for (Path log : pipeline.logs()) {
            for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
                lines++;
                assertThat(line).as("a secret in %s", log).doesNotContain(API_KEY).doesNotContain(REGISTRY_PASSWORD)
                        .doesNotContain(KAFKA_PASSWORD).doesNotContain(API_KEY.substring(3, 20));
                JsonNode json = JSON.readTree(line);
                assertThat(json.has("level") && json.has("formattedMessage")).as("a JSON log line: %s", line).isTrue();
                String message = json.path("formattedMessage").asText();
                String requestId = json.path("mdc").path("requestId").asText(null);
                for (String id : ids) {
                    if (message.contains(id)) {
                        assertThat(requestId).as("requestId of: %s", line).isEqualTo(id);
                    }
                }
                if (message.startsWith("undecodable record")) {
                    // Started on a call thread that had just finished another request: not that request's line.
                    undecodable++;
                    assertThat(requestId).as("requestId of: %s", line).isNull();
                }
                if (json.path("loggerName").asText().endsWith("RetryPolicy")) {
                    // A retry line says nothing of the request itself: the context names it, on the call thread.
                    retries++;
                    assertThat(requestId).as("requestId of: %s", line).isIn(ids);
                }
                if (requestId != null) {
                    aboutRequests++;
                }
            }
        }
        System.out.printf("operations: %d JSON log lines, %d about a request (%d retries), each with its requestId; no secret in any%n",
                lines, aboutRequests, retries);
        assertThat(retries).as("retry lines").isPositive();
        assertThat(undecodable).as("the poison pill's line").isEqualTo(1);
        assertThat(aboutRequests).isGreaterThan(retries);
    }

    private io.travelart.core.config.KafkaConfig pipelineKafka() {
        return io.travelart.core.config.KafkaConfig.of(pipeline.stack().bootstrapServers());
    }

    private static String key(ConsumerRecord<byte[], byte[]> record) {
        return new String(record.key(), StandardCharsets.UTF_8);
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        var h = record.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*})?\\s+(\\S+)");

    /** Prometheus text format: the highest value of each metric name (over its label sets). */
    static Map<String, Double> samples(String scrape) {
        Map<String, Double> values = new HashMap<>();
        for (String line : scrape.split("\n")) {
            Matcher m = SAMPLE.matcher(line);
            if (!line.startsWith("#") && m.find()) {
                try {
                    values.merge(m.group(1), Double.parseDouble(m.group(3)), Math::max);
                } catch (NumberFormatException ignored) {
                    // NaN and the like
                }
            }
        }
        return values;
    }

    /** The metric names in docs/metrics.md's table (first column, in backticks), not those zero in a healthy run. */
    static List<String> documentedMetrics() throws IOException {
        Path readme = Path.of("..", "docs", "metrics.md");
        String text = Files.readString(readme, StandardCharsets.UTF_8);
        int start = text.indexOf("## Metrics");
        assertThat(start).as("docs/metrics.md has a Metrics section").isNotNegative();
        List<String> names = new ArrayList<>();
        int end = text.indexOf("Also there, but zero in a healthy run", start);
        Matcher m = Pattern.compile("(?m)^\\| `([a-z0-9_.]+)`").matcher(text.substring(start, end));
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }
}
