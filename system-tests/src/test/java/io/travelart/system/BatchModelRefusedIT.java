package io.travelart.system;

import io.travelart.cli.local.LocalPipeline;
import io.travelart.cli.records.RequestPublisher;
import io.travelart.devstack.openai.OpenAiSimulator;
import io.travelart.devstack.openai.OpenAiSimulator.Endpoint;
import io.travelart.devstack.openai.SimulatorSettings;
import io.travelart.events.KeywordRequested;
import io.travelart.events.Priorities;
import io.travelart.core.results.RequestResult;
import io.travelart.core.results.ResultWatcher;
import io.travelart.image.app.ImageWorkerConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A Batch API that refuses the lane's model (as resellers report of some image models): the lane says so in readiness,
 * submits nothing more, and after {@code TRAVELART_BATCH_FALLBACK_AFTER} draws the waiting requests in the interactive
 * lane, each ready once and billed once, at full price. Its own pipeline: a refusal lasts until the worker restarts.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BatchModelRefusedIT {

    private static final Duration FALLBACK_AFTER = Duration.ofSeconds(4);
    private LocalPipeline pipeline;
    private OpenAiSimulator simulator;

    @BeforeAll
    void start() throws Exception {
        pipeline = LocalPipeline.start(Files.createTempDirectory("travelart-batch-refused"), 2,
                Optional.of(SimulatorSettings.instant()),
                Map.of("TRAVELART_MAX_IN_FLIGHT", "8", "TRAVELART_BATCH_MAX_REQUESTS", "20", "TRAVELART_BATCH_MAX_AGE", "1s",
                        "TRAVELART_BATCH_POLL_INTERVAL", "200ms", "TRAVELART_BATCH_FALLBACK_AFTER", FALLBACK_AFTER.toSeconds() + "s"));
        simulator = pipeline.stack().simulator().orElseThrow();
        simulator.batchDuration(Duration.ofSeconds(1));
        simulator.refuseBatchModel(ImageWorkerConfig.DEFAULT_IMAGE_MODEL, true);
    }

    @AfterAll
    void stop() {
        if (pipeline != null) {
            pipeline.close();
        }
    }

    @Test
    void theLaneSaysSoWaitsThenDrawsEveryRequestInTheInteractiveLaneOnce() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        URI readiness = URI.create(pipeline.managementUrls().get("image-worker") + "/health/ready");
        int batchesBefore = simulator.batchesCreated();
        List<String> ids = new ArrayList<>();
        try (ResultWatcher watcher = pipeline.watcher(false)) {
            try (RequestPublisher publisher = pipeline.publisher()) {
                for (int i = 0; i < 6; i++) {
                    KeywordRequested request = RequestPublisher.request("Hallstatt under snow " + i, null, null, null, "refusal-test");
                    request.setPriority(Priorities.BATCH);
                    publisher.publish(request);
                    ids.add(request.getRequestId());
                }
            }
            // The refusal is said, without the provider's words, while the requests wait for the fallback.
            HttpResponse<?>[] said = new HttpResponse<?>[1];
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
                HttpResponse<String> answer = http.send(HttpRequest.newBuilder(readiness).build(), HttpResponse.BodyHandlers.ofString());
                said[0] = answer;
                return answer.body().contains("refuses");
            });
            assertThat(said[0].statusCode()).isEqualTo(503);
            assertThat((String) said[0].body()).contains("the Batch API refuses the model " + ImageWorkerConfig.DEFAULT_IMAGE_MODEL)
                    .doesNotContain("not supported");

            Map<String, List<RequestResult>> seen = new HashMap<>();
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(50)).until(() -> {
                watcher.poll(Duration.ofMillis(100)).stream().filter(r -> ids.contains(r.requestId()))
                        .forEach(r -> seen.computeIfAbsent(r.requestId(), k -> new ArrayList<>()).add(r));
                return seen.keySet().containsAll(ids);
            });
            // Everything answered for good: the topics' counts are final, and the watcher has seen each of them.
            Map<String, Integer> counts = Answered.finalCounts(pipeline, true, Duration.ofSeconds(60));
            assertThat(ids).allSatisfy(id -> assertThat(counts.get(id)).as("events of %s", id).isEqualTo(seen.get(id).size()));

            assertThat(seen.values()).allSatisfy(events -> assertThat(events).singleElement()
                    .satisfies(e -> assertThat(((RequestResult.Ready) e).event().getLane()).isEqualTo(Priorities.INTERACTIVE)));
            for (String id : ids) {
                assertThat(simulator.billed(Endpoint.IMAGES, id)).as("synchronous calls for %s", id).isEqualTo(1);
                assertThat(simulator.billedInBatch(Endpoint.IMAGES, id)).as("batch lines billed for %s", id).isZero();
            }
            // The refused batches were tried, and then no more were submitted.
            int created = simulator.batchesCreated() - batchesBefore;
            assertThat(created).isBetween(1, 2);

            // The fallback's image-ready continues each request's trace, through the requeue.
            Map<String, String> traceOfRequest = Traces.byKey(pipeline.kafka(), pipeline.topics().keywordRequested());
            assertThat(Traces.recordsOf(pipeline.kafka(), pipeline.topics().imageReady(), ids::contains)).hasSize(ids.size())
                    .allSatisfy(r -> assertThat(Traces.of(r)).isEqualTo(traceOfRequest.get(new String(r.key(), StandardCharsets.UTF_8))));

            double fallback = MetricsScrape.sum(pipeline.managementUrls().get("image-worker"), "travelart_batch_fallback_total", "");
            assertThat(fallback).isEqualTo(ids.size());
            assertThat(MetricsScrape.sum(pipeline.managementUrls().get("image-worker"), "travelart_batch_model_refused", ""))
                    .isEqualTo(1.0);
            // Falling back, the lane works again: ready.
            assertThat(http.send(HttpRequest.newBuilder(readiness).build(), HttpResponse.BodyHandlers.discarding()).statusCode())
                    .isEqualTo(200);
        }
    }
}
