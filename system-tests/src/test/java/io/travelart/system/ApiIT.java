package io.travelart.system;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.travelart.api.Api;
import io.travelart.api.ApiConfig;
import io.travelart.api.ApiKeys;
import io.travelart.cli.local.LocalPipeline;
import io.travelart.cli.records.CommittedRecords;
import io.travelart.cli.records.RequestLookup;
import io.travelart.core.config.Settings;
import io.travelart.core.metrics.PriceTable;
import io.travelart.devstack.openai.OpenAiSimulator;
import io.travelart.devstack.openai.SimulatorSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The HTTP API over real HTTP, with the JDK's client and with curl, against the whole pipeline (one partition, one image
 * call at a time, each drawn for 2 s, so that a request can be cancelled while it waits). Every answer is checked
 * against the OpenAPI description the server itself serves.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ApiIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final String keyA = ApiKeys.newKey();
    private final String keyB = ApiKeys.newKey();
    private Path dir;
    private LocalPipeline pipeline;
    private OpenAiSimulator simulator;
    private Api api;
    private String base;
    private Path openApi;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    void start() throws Exception {
        dir = Files.createTempDirectory("travelart-api");
        pipeline = LocalPipeline.start(dir, 1, Optional.of(SimulatorSettings.instant().withLatency(Duration.ZERO, Duration.ofSeconds(2))),
                Map.of("TRAVELART_MAX_IN_FLIGHT", "1"));
        simulator = pipeline.stack().simulator().orElseThrow();
        api = startApi("api-it", 600);
        base = "http://127.0.0.1:" + api.port();
        openApi = dir.resolve("openapi.json");
        Files.write(openApi, http.send(HttpRequest.newBuilder(URI.create(base + "/v1/openapi.json")).build(),
                HttpResponse.BodyHandlers.ofByteArray()).body());
    }

    private Api startApi(String instance, int perMinute) {
        Map<String, String> env = new HashMap<>(pipeline.stack().environment());
        env.put("TRAVELART_API_KEYS", ApiKeys.entry("partner-a", keyA) + "," + ApiKeys.entry("partner-b", keyB));
        env.put("TRAVELART_API_HOST", "127.0.0.1");
        env.put("TRAVELART_API_PORT", "0");
        env.put("TRAVELART_API_RATE_PER_MINUTE", Integer.toString(perMinute));
        env.put("TRAVELART_INSTANCE_ID", instance);
        env.put("TRAVELART_MANAGEMENT_HOST", "127.0.0.1");
        env.put("TRAVELART_MANAGEMENT_PORT", "0");
        ApiConfig config = ApiConfig.from(Settings.of(env));
        return Api.start(config, RequestLookup.statuses(pipeline.kafka(), pipeline.serde(),
                new RequestLookup.Sources(pipeline.topics(), "image-batch-pending", "image-batches"), PriceTable.parse(null)));
    }

    @AfterAll
    void stop() {
        if (api != null) {
            api.close();
        }
        if (pipeline != null) {
            pipeline.close();
        }
        TestDirs.delete(dir);
    }

    private record Answer(int status, JsonNode body, HttpResponse<String> response) {
    }

    private Answer call(String method, String path, String key, String body, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (key != null) {
            request.header("Authorization", "Bearer " + key);
        }
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(response.statusCode(), response.body().isEmpty() ? null : JSON.readTree(response.body()), response);
    }

    /** The answer's body against the served description's schema: the check fails the test with what does not match. */
    private void conforms(Answer answer, String schema) {
        var validator = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012)
                .getSchema(SchemaLocation.of(openApi.toUri() + "#/components/schemas/" + schema));
        Set<ValidationMessage> problems = validator.validate(answer.body());
        assertThat(problems).as("%s against %s", answer.body(), schema).isEmpty();
    }

    private JsonNode awaitState(String id, String key, String... states) {
        JsonNode[] last = new JsonNode[1];
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
            Answer got = call("GET", "/v1/requests/" + id, key, null);
            if (got.status() != 200) {
                return false;
            }
            conforms(got, "Status");
            last[0] = got.body();
            return List.of(states).contains(got.body().path("state").asText());
        });
        return last[0];
    }

    @Test
    void theDescriptionChecksCanFail() {
        Answer wrong = new Answer(200, JSON.createObjectNode().put("requestId", "x").put("state", "SLEEPING"), null);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> conforms(wrong, "Status")).isInstanceOf(AssertionError.class);
    }

    @Test
    void submitPollToReadyRetryWithTheSameKeyAndCancelAWaitingOne() throws Exception {
        String body = "{\"keyword\": \"Tallinn old town at dusk\", \"style\": \"gouache\", \"attributes\": {\"campaign\": \"winter\"}}";
        Answer first = call("POST", "/v1/requests", keyA, body, "Idempotency-Key", "order-1001");
        assertThat(first.status()).as(String.valueOf(first.body())).isEqualTo(202);
        conforms(first, "Accepted");
        String id = first.body().path("requestId").asText();
        assertThat(first.response().headers().firstValue("Location")).contains("/v1/requests/" + id);

        Answer retry = call("POST", "/v1/requests", keyA, body, "Idempotency-Key", "order-1001");
        assertThat(retry.status()).isEqualTo(202);
        assertThat(retry.body().path("requestId").asText()).as("the same request, not a second one").isEqualTo(id);
        assertThat(retry.response().headers().firstValue("Idempotent-Replayed")).contains("true");
        Answer reused = call("POST", "/v1/requests", keyA, "{\"keyword\": \"Riga\"}", "Idempotency-Key", "order-1001");
        assertThat(reused.status()).isEqualTo(422);
        conforms(reused, "Errors");
        assertThat(reused.body().path("errors").get(0).path("field").asText()).isEqualTo("Idempotency-Key");

        String second = call("POST", "/v1/requests", keyA, "{\"keyword\": \"Bruges canals\"}").body().path("requestId").asText();
        String third = call("POST", "/v1/requests", keyA, "{\"keyword\": \"Ghent at night\"}").body().path("requestId").asText();
        Answer cancelled = call("POST", "/v1/requests/" + third + "/cancel", keyA, "{\"reason\": \"not needed any more\"}");
        assertThat(cancelled.status()).as(String.valueOf(cancelled.body())).isEqualTo(202);
        conforms(cancelled, "CancelAccepted");

        JsonNode ready = awaitState(id, keyA, "READY");
        assertThat(ready.path("keyword").asText()).isEqualTo("Tallinn old town at dusk");
        assertThat(ready.path("sourceSystem").asText()).as("the key's source system").isEqualTo("partner-a");
        HttpResponse<byte[]> image = http.send(HttpRequest.newBuilder(URI.create(ready.path("imageUrl").asText())).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(image.statusCode()).isEqualTo(200);
        assertThat(image.body()).startsWith(new byte[]{(byte) 0x89, 'P', 'N', 'G'});
        JsonNode ended = awaitState(third, keyA, "CANCELLED");
        assertThat(ended.path("failure").path("errorCode").asText()).isEqualTo("CANCELLED");
        assertThat(ended.path("failure").path("message").asText()).contains("api:partner-a").endsWith("not needed any more");
        assertThat(simulator.calls(OpenAiSimulator.Endpoint.IMAGES, third)).as("no image paid for the cancelled one").isZero();
        awaitState(second, keyA, "READY");

        // The API answers from its index of its clients' requests; what it says is what the events say, read from Kafka.
        String managementUrl = "http://127.0.0.1:" + api.managementPort();
        assertThat(MetricsScrape.sum(managementUrl, "travelart_api_index_requests", "")).isGreaterThanOrEqualTo(3);
        assertThat(MetricsScrape.sum(managementUrl, "travelart_api_submit_seconds_count", "")).isGreaterThanOrEqualTo(3);
        assertThat(http.send(HttpRequest.newBuilder(URI.create(managementUrl + "/health/ready")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        for (String each : List.of(id, second, third)) {
            JsonNode indexed = call("GET", "/v1/requests/" + each, keyA, null).body();
            CliRun looked = CliRun.of("status", each, "--json", "--bootstrap-servers", pipeline.stack().bootstrapServers(),
                    "--registry-url", pipeline.stack().registryUrl());
            assertThat(indexed).isEqualTo(JSON.readTree(looked.out()));
        }
        assertThat(CommittedRecords.keyCounts(pipeline.kafka(), pipeline.topics().keywordRequested()).get(id))
                .as("published once for the two POSTs with one Idempotency-Key").isEqualTo(1);
        Answer late = call("POST", "/v1/requests/" + id + "/cancel", keyA, null);
        assertThat(late.status()).isEqualTo(409);
        conforms(late, "Status");
        Answer notTheirs = call("GET", "/v1/requests/" + id, keyB, null);
        assertThat(notTheirs.status()).as("another source's request is not found").isEqualTo(404);
        conforms(notTheirs, "Errors");
        assertThat(call("POST", "/v1/requests/" + second + "/cancel", keyB, null).status()).isEqualTo(404);
    }

    @Test
    void everyBadFieldIsNamedAndBadCallsAreRefusedWithoutPublishing() throws Exception {
        int before = published();
        Answer bad = call("POST", "/v1/requests", keyB, "{\"keyword\": \" \", \"quality\": \"ultra\", \"imageSize\": \"big\", "
                + "\"colour\": \"red\", \"sourceSystem\": \"partner-a\", \"priority\": 3}");
        assertThat(bad.status()).isEqualTo(422);
        conforms(bad, "Errors");
        Map<String, String> byField = new HashMap<>();
        bad.body().path("errors").forEach(e -> byField.put(e.path("field").asText(), e.path("message").asText()));
        assertThat(byField).containsOnlyKeys("keyword", "quality", "imageSize", "colour", "sourceSystem", "priority");
        assertThat(byField.get("keyword")).isEqualTo("keyword is blank");
        assertThat(byField.get("sourceSystem")).contains("the API key decides it (partner-b)");

        assertThat(call("POST", "/v1/requests", keyB, "{\"keyword\": ").status()).isEqualTo(422);
        assertThat(call("POST", "/v1/requests", keyB, "[1, 2]").status()).isEqualTo(422);
        Answer huge = call("POST", "/v1/requests", keyB, "{\"keyword\": \"" + "x".repeat(70_000) + "\"}");
        assertThat(huge.status()).isEqualTo(413);
        conforms(huge, "Errors");
        Answer noKey = call("POST", "/v1/requests", null, "{\"keyword\": \"Oslo\"}");
        assertThat(noKey.status()).isEqualTo(401);
        assertThat(noKey.response().headers().firstValue("WWW-Authenticate")).contains("Bearer");
        assertThat(call("POST", "/v1/requests", "ta_not-a-key", "{\"keyword\": \"Oslo\"}").status()).isEqualTo(401);
        assertThat(call("GET", "/v1/requests/no-such-request", keyB, null).status()).isEqualTo(404);
        assertThat(call("DELETE", "/v1/requests", keyB, null).status()).isEqualTo(405);
        assertThat(call("POST", "/v1/requests", keyB, "{\"keyword\": \"Oslo\"}", "Idempotency-Key", "k".repeat(300)).status()).isEqualTo(400);
        assertThat(published()).as("none of these published anything").isEqualTo(before);
    }

    @Test
    void overItsRateAKeyIsToldWhenToComeBackAndTheOtherKeysAreNot() throws Exception {
        try (Api slow = startApi("api-it-rate", 2)) {
            String url = "http://127.0.0.1:" + slow.port() + "/v1/requests/no-such-request";
            HttpRequest asA = HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + keyA).build();
            assertThat(http.send(asA, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(404);
            assertThat(http.send(asA, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(404);
            HttpResponse<String> limited = http.send(asA, HttpResponse.BodyHandlers.ofString());
            assertThat(limited.statusCode()).isEqualTo(429);
            assertThat(limited.headers().firstValue("Retry-After").map(Integer::parseInt)).hasValueSatisfying(s -> assertThat(s).isBetween(1, 30));
            HttpRequest asB = HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + keyB).build();
            assertThat(http.send(asB, HttpResponse.BodyHandlers.ofString()).statusCode()).as("another key's own bucket").isEqualTo(404);
        }
    }

    @Test
    void curlSubmitsAndReadsTheStatus() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/curl")), "curl is not installed (.ci/run installs it)");
        String posted = curl("-sS", "-X", "POST", "-H", "Authorization: Bearer " + keyB, "-H", "Content-Type: application/json",
                "-d", "{\"keyword\": \"겨울밤의 파리\"}", base + "/v1/requests");
        String id = JSON.readTree(posted).path("requestId").asText();
        assertThat(id).matches("[0-9a-f-]{36}");
        JsonNode status = awaitState(id, keyB, "READY");
        String shown = curl("-sS", "-H", "Authorization: Bearer " + keyB, base + "/v1/requests/" + id);
        assertThat(JSON.readTree(shown).path("imageUrl").asText()).isEqualTo(status.path("imageUrl").asText()).endsWith(id + ".png");
        assertThat(JSON.readTree(shown).path("keyword").asText()).isEqualTo("겨울밤의 파리");
    }

    private int published() {
        return CommittedRecords.keyCounts(pipeline.kafka(), pipeline.topics().keywordRequested()).values().stream()
                .mapToInt(Integer::intValue).sum();
    }

    private static String curl(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("/usr/bin/curl", "--max-time", "30"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(40, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(out).isZero();
        return out;
    }
}
