package io.travelart.devstack.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.errors.InternalServerException;
import com.openai.models.batches.Batch;
import com.openai.models.batches.BatchCreateParams;
import com.openai.models.files.FileCreateParams;
import com.openai.models.files.FileObject;
import com.openai.models.files.FilePurpose;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The simulator's Files and Batch APIs as the image-worker's batch lane sees them: through openai-java, strict validation on. */
class SimulatedBatchesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static OpenAiSimulator simulator;
    private static OpenAIClient client;

    @BeforeAll
    static void start() {
        simulator = OpenAiSimulator.start(SimulatorSettings.instant());
        client = OpenAIOkHttpClient.builder().baseUrl(simulator.baseUrl()).apiKey("sk-test").maxRetries(0)
                .responseValidation(true).build();
    }

    @AfterAll
    static void stop() {
        client.close();
        simulator.close();
    }

    @AfterEach
    void reset() {
        simulator.batchDuration(Duration.ofSeconds(2));
        simulator.expireBatchesHalfDone(false);
    }

    private static String jsonl(List<String> ids, String prompt) {
        StringBuilder out = new StringBuilder();
        for (String id : ids) {
            var line = JSON.createObjectNode().put("custom_id", id).put("method", "POST").put("url", "/v1/images/generations");
            line.putObject("body").put("model", "gpt-image-2.6-flare").put("prompt", prompt + " " + id)
                    .put("size", "1024x1024").put("quality", "low");
            out.append(line).append('\n');
        }
        return out.toString();
    }

    private static Batch submit(List<String> ids, String prompt, String submission) {
        FileObject file = client.files().create(FileCreateParams.builder()
                .file(jsonl(ids, prompt).getBytes(StandardCharsets.UTF_8)).purpose(FilePurpose.BATCH).build());
        assertThat(file.purpose()).isEqualTo(FileObject.Purpose.BATCH);
        return client.batches().create(BatchCreateParams.builder().inputFileId(file.id())
                .endpoint(BatchCreateParams.Endpoint.V1_IMAGES_GENERATIONS)
                .completionWindow(BatchCreateParams.CompletionWindow._24H)
                .metadata(BatchCreateParams.Metadata.builder().putAdditionalProperty("travelart_submission", JsonValue.from(submission)).build())
                .build());
    }

    private static List<JsonNode> lines(String fileId) throws IOException {
        List<JsonNode> lines = new ArrayList<>();
        try (InputStream in = client.files().content(fileId).body()) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank()) {
                    lines.add(JSON.readTree(line));
                }
            }
        }
        return lines;
    }

    @Test
    void aBatchRunsEachLineOnceAndItsOutputTiesEveryImageToItsCustomId() throws IOException {
        simulator.batchDuration(Duration.ZERO);
        List<String> ids = List.of("b-1", "b-2", "b-3", "b-4");
        Batch created = submit(ids, "Kyoto in autumn rain", "sub-1");
        assertThat(created.metadata().orElseThrow()._additionalProperties().get("travelart_submission")).isEqualTo(JsonValue.from("sub-1"));

        Batch done = client.batches().retrieve(created.id());
        assertThat(done.status()).isEqualTo(Batch.Status.COMPLETED);
        assertThat(done.requestCounts().orElseThrow().completed()).isEqualTo(4);
        List<JsonNode> output = lines(done.outputFileId().orElseThrow());
        assertThat(output).extracting(l -> l.path("custom_id").asText()).containsExactlyElementsOf(ids);
        assertThat(output).allSatisfy(l -> {
            assertThat(l.path("response").path("status_code").asInt()).isEqualTo(200);
            assertThat(l.path("response").path("body").path("data").get(0).path("b64_json").asText()).isNotEmpty();
        });
        // Reading it again runs nothing again: each line is billed once.
        client.batches().retrieve(created.id());
        ids.forEach(id -> assertThat(simulator.billedInBatch(OpenAiSimulator.Endpoint.IMAGES, id)).isEqualTo(1));
        assertThat(simulator.billed(OpenAiSimulator.Endpoint.IMAGES, "b-1")).as("not billed as a synchronous call").isZero();
        assertThat(client.batches().list().data()).extracting(Batch::id).contains(created.id());
    }

    @Test
    void anExpiredBatchHasHalfItsLinesDoneAndTheRestFailedAsExpired() throws IOException {
        simulator.batchDuration(Duration.ZERO);
        simulator.expireBatchesHalfDone(true);
        List<String> ids = List.of("e-1", "e-2", "e-3", "e-4", "e-5", "e-6");
        Batch done = client.batches().retrieve(submit(ids, "Oslo", "sub-2").id());

        assertThat(done.status()).isEqualTo(Batch.Status.EXPIRED);
        assertThat(lines(done.outputFileId().orElseThrow())).extracting(l -> l.path("custom_id").asText()).containsExactly("e-1", "e-2", "e-3");
        assertThat(lines(done.errorFileId().orElseThrow())).allSatisfy(l ->
                assertThat(l.path("error").path("code").asText()).isEqualTo("batch_expired")).hasSize(3);
        assertThat(simulator.billedInBatch(OpenAiSimulator.Endpoint.IMAGES, "e-4")).isZero();
    }

    @Test
    void aLineThatIsRefusedFailsAloneAndACancelledBatchRunsNoMore() throws IOException {
        simulator.batchDuration(Duration.ZERO);
        List<String> ids = List.of("r-1", "r-2 " + SimulatorSettings.DEFAULT_REFUSAL_MARKER);
        Batch done = client.batches().retrieve(submit(ids, "Paris", "sub-3").id());
        assertThat(done.requestCounts().orElseThrow().failed()).isEqualTo(1);
        JsonNode refused = lines(done.errorFileId().orElseThrow()).get(0);
        assertThat(refused.path("response").path("status_code").asInt()).isEqualTo(400);
        assertThat(refused.path("response").path("body").path("error").path("code").asText()).isEqualTo("content_policy_violation");

        simulator.batchDuration(Duration.ofHours(1));
        Batch open = submit(List.of("c-1", "c-2"), "Rome", "sub-4");
        Batch cancelled = client.batches().cancel(open.id());
        assertThat(cancelled.status()).isEqualTo(Batch.Status.CANCELLED);
        assertThat(cancelled.outputFileId()).isEmpty();
        assertThat(simulator.billedInBatch(OpenAiSimulator.Endpoint.IMAGES, "c-1")).isZero();
    }

    @Test
    void theFilesEndpointCanBeDownForAWhile() {
        simulator.filesDownFor(Duration.ofHours(1));
        try {
            assertThatThrownBy(() -> client.files().create(FileCreateParams.builder().file("{}".getBytes(StandardCharsets.UTF_8))
                    .purpose(FilePurpose.BATCH).build())).isInstanceOf(InternalServerException.class);
        } finally {
            simulator.filesDownFor(Duration.ZERO);
        }
    }

    @Test
    void aBodyItCannotReadIsAnsweredWithAnErrorNotAConnectionClosedWithoutOne() throws Exception {
        var http = java.net.http.HttpClient.newHttpClient();
        var request = java.net.http.HttpRequest.newBuilder(java.net.URI.create(simulator.baseUrl() + "/batches"))
                .header("Authorization", "Bearer sk-test").header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"endpoint\": ")).build();

        var answer = http.send(request, java.net.http.HttpResponse.BodyHandlers.ofString());

        assertThat(answer.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(answer.body()).path("error").path("type").asText()).isEqualTo("invalid_request_error");
    }
}
