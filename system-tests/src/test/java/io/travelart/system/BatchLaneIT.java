package io.travelart.system;

import io.travelart.cli.records.CommittedRecords;
import io.travelart.cli.local.LocalPipeline;
import io.travelart.cli.records.RequestPublisher;
import io.travelart.cli.TravelartCli;
import io.travelart.core.engine.EventHeaders;
import io.travelart.core.failure.ErrorCodes;
import io.travelart.core.metrics.PriceTable;
import io.travelart.devstack.openai.OpenAiSimulator.Endpoint;
import io.travelart.devstack.openai.OpenAiSimulator;
import io.travelart.devstack.openai.SimulatorSettings;
import io.travelart.events.ImageReady;
import io.travelart.events.KeywordRequested;
import io.travelart.events.Priorities;
import io.travelart.events.RequestFailed;
import io.travelart.core.results.RequestResult;
import io.travelart.core.results.ResultWatcher;
import io.travelart.image.batch.BatchRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.charset.StandardCharsets;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The batch lane on the simulator's Batch API: requests of priority batch go through batches, each billed
 * once at half price; an expired batch answers its finished lines and fails the rest retriably, and
 * {@code travelart replay} brings those to image-ready.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BatchLaneIT {

    private static final int MAX_REQUESTS = 50;
    private java.nio.file.Path dir;
    private LocalPipeline pipeline;
    private OpenAiSimulator simulator;

    @BeforeAll
    void start() throws Exception {
        dir = Files.createTempDirectory("travelart-batch");
        pipeline = LocalPipeline.start(dir, 3,
                Optional.of(SimulatorSettings.instant()),
                Map.of("TRAVELART_MAX_IN_FLIGHT", "16", "TRAVELART_OPENAI_STRICT_RESPONSES", "true",
                        "TRAVELART_BATCH_MAX_REQUESTS", Integer.toString(MAX_REQUESTS), "TRAVELART_BATCH_MAX_AGE", "3s",
                        "TRAVELART_BATCH_POLL_INTERVAL", "200ms", "TRAVELART_PAUSE_PROBE_FIRST", "1s", "TRAVELART_PAUSE_PROBE_MAX", "2s"));
        simulator = pipeline.stack().simulator().orElseThrow();
        simulator.batchDuration(Duration.ofSeconds(1));
    }

    @AfterAll
    void stop() {
        if (pipeline != null) {
            pipeline.close();
        }
        TestDirs.delete(dir);
    }

    private List<String> publish(int count, String keyword) {
        List<String> ids = new ArrayList<>();
        try (RequestPublisher publisher = pipeline.publisher()) {
            for (int i = 0; i < count; i++) {
                KeywordRequested request = RequestPublisher.request(keyword + " " + i, null, null, null, "batch-test");
                request.setPriority(Priorities.BATCH);
                publisher.publish(request);
                ids.add(request.getRequestId());
            }
        }
        return ids;
    }

    /** Events of each request id that earlier calls of {@link #results} in this test have seen (ids are new in each test). */
    private final Map<String, Integer> seenEarlier = new HashMap<>();

    /** Every result of these requests, until each has one of the wanted kind and the lane has answered everything. */
    private Map<String, List<RequestResult>> results(ResultWatcher watcher, List<String> ids, boolean ready) {
        return results(watcher, ids, ready, true);
    }

    /** @param laneDrained whether to wait for the lane to answer everything too (not while it is paused) */
    private Map<String, List<RequestResult>> results(ResultWatcher watcher, List<String> ids, boolean ready, boolean laneDrained) {
        Map<String, List<RequestResult>> seen = new HashMap<>();
        Runnable collect = () -> watcher.poll(Duration.ofMillis(100)).stream().filter(r -> ids.contains(r.requestId()))
                .forEach(r -> seen.computeIfAbsent(r.requestId(), k -> new ArrayList<>()).add(r));
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(50)).until(() -> {
            collect.run();
            return ids.stream().allMatch(id -> seen.getOrDefault(id, List.of()).stream()
                    .anyMatch(r -> !ready || r instanceof RequestResult.Ready));
        });
        // Everything answered for good: the topics' counts are final, and the watcher has seen each of them (a late
        // duplicate included) once the counts match.
        Map<String, Integer> counts = Answered.finalCounts(pipeline, laneDrained, Duration.ofSeconds(120));
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(10)).until(() -> {
            collect.run();
            return ids.stream().allMatch(id -> seenEarlier.getOrDefault(id, 0) + seen.getOrDefault(id, List.of()).size()
                    == counts.getOrDefault(id, 0));
        });
        seen.forEach((id, events) -> seenEarlier.merge(id, events.size(), Integer::sum));
        return seen;
    }

    /** What the lane has paid so far, by the image-worker's metric (other tests use the lane too). */
    private double batchCost() throws Exception {
        return MetricsScrape.sum(pipeline.managementUrls().get("image-worker"), "travelart_cost_estimated_usd_total", "lane=\"batch\"");
    }

    private List<BatchRecord> batchRecords() {
        List<BatchRecord> records = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> reader = new KafkaConsumer<>(pipeline.kafka().with(Map.of(
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed")), new StringDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition tp = new TopicPartition("image-batches", 0);
            reader.assign(List.of(tp));
            reader.seekToBeginning(List.of(tp));
            long end = reader.endOffsets(List.of(tp)).get(tp);
            while (reader.position(tp) < end) {
                reader.poll(Duration.ofMillis(200)).forEach(r -> records.add(BatchRecord.fromJson(r.value())));
            }
        }
        return records;
    }

    @Test
    void twoHundredBatchRequestsBecomeTwoHundredImagesEachBilledOnceAtHalfPrice() throws Exception {
        int batchesBefore = simulator.batchesCreated();
        double costBefore = batchCost();
        try (ResultWatcher watcher = pipeline.watcher(false)) {
            List<String> ids = publish(200, "Kyoto in autumn rain");
            Map<String, List<RequestResult>> seen = results(watcher, ids, true);

            assertThat(seen.keySet()).containsExactlyInAnyOrderElementsOf(ids);
            assertThat(seen.values()).allSatisfy(events -> assertThat(events).hasSize(1)
                    .allSatisfy(e -> assertThat(((RequestResult.Ready) e).event().getLane()).isEqualTo(Priorities.BATCH)));
            for (String id : ids) {
                assertThat(simulator.billedInBatch(Endpoint.IMAGES, id)).as("batch lines billed for %s", id).isEqualTo(1);
                assertThat(simulator.billed(Endpoint.IMAGES, id)).as("synchronous calls for %s", id).isZero();
            }
            // The lane's image-ready continues each request's trace and says it is the image stage's, as an interactive one does.
            Map<String, String> traceOfRequest = Traces.byKey(pipeline.kafka(), pipeline.topics().keywordRequested());
            List<ConsumerRecord<byte[], byte[]>> readyRecords = Traces.recordsOf(pipeline.kafka(), pipeline.topics().imageReady(), ids::contains);
            assertThat(readyRecords).hasSize(ids.size()).allSatisfy(r -> {
                String id = new String(r.key(), StandardCharsets.UTF_8);
                assertThat(Traces.of(r)).isEqualTo(traceOfRequest.get(id));
                assertThat(new String(r.headers().lastHeader(EventHeaders.CE_SOURCE).value(), StandardCharsets.US_ASCII))
                        .isEqualTo("/travelart/image");
                assertThat(new String(r.headers().lastHeader(EventHeaders.CE_SUBJECT).value(), StandardCharsets.UTF_8)).isEqualTo(id);
            });
            // As many batches as the size policy says: none larger than the limit, each request in exactly one.
            List<BatchRecord> done = batchRecords().stream().filter(b -> b.state().equals(BatchRecord.DONE)).toList();
            List<BatchRecord> ours = done.stream().filter(b -> b.submittedAtMs() > 0).toList();
            assertThat(ours.stream().mapToInt(BatchRecord::requests).sum()).isGreaterThanOrEqualTo(200);
            assertThat(ours).allSatisfy(b -> assertThat(b.requests()).isBetween(1, MAX_REQUESTS));
            int batches = simulator.batchesCreated() - batchesBefore;

            // Half price: the lane's cost is half of what the same tokens cost interactively.
            PriceTable prices = PriceTable.parse("");
            double full = 0;
            for (String id : ids) {
                ImageReady ready = ((RequestResult.Ready) seen.get(id).get(0)).event();
                full += prices.of(ready.getImageModel()).orElseThrow()
                        .of(ready.getImageUsage().getInputTokens(), ready.getImageUsage().getOutputTokens());
            }
            double batchCost = batchCost() - costBefore;
            System.out.printf("batch lane: 200 requests, 200 image-ready in %d batches of at most %d, each billed once; "
                    + "estimated cost $%.4f (interactive would be $%.4f)%n", batches, MAX_REQUESTS, batchCost, full);
            assertThat(batches).isBetween(200 / MAX_REQUESTS, 200);
            assertThat(batchCost).isCloseTo(full / 2, org.assertj.core.data.Offset.offset(1e-6));
        }
    }

    @Test
    void anExpiredBatchAnswersItsFinishedLinesAndFailsTheRestRetriablyAndReplayCompletesThem() throws Exception {
        Instant start = Instant.now();
        simulator.expireBatchesHalfDone(true);
        try (ResultWatcher watcher = pipeline.watcher(false)) {
            List<String> ids = publish(20, "Oslo fjord");
            Map<String, List<RequestResult>> first = results(watcher, ids, false);
            List<String> failed = first.entrySet().stream()
                    .filter(e -> e.getValue().get(0) instanceof RequestResult.Failed).map(Map.Entry::getKey).toList();
            long ready = ids.size() - failed.size();
            assertThat(failed).isNotEmpty();
            assertThat(ready).isPositive();
            for (String id : failed) {
                RequestFailed event = ((RequestResult.Failed) first.get(id).get(0)).event();
                assertThat(event.getErrorCode()).isEqualTo(ErrorCodes.BATCH_EXPIRED);
                assertThat(event.getRetriable()).isTrue();
                assertThat(simulator.billedInBatch(Endpoint.IMAGES, id)).isZero();
            }

            simulator.expireBatchesHalfDone(false);
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            var cli = TravelartCli.commandLine();
            cli.setOut(new PrintWriter(out, true));
            cli.setErr(new PrintWriter(err, true));
            int code = cli.execute("replay", "--since", start.toString(), "--bootstrap-servers", pipeline.kafka().bootstrapServers(),
                    "--registry-url", pipeline.stack().registryUrl());
            assertThat(code).as(err.toString()).isZero();
            Map<String, List<RequestResult>> after = results(watcher, failed, true);
            System.out.printf("batch lane expired: %d of %d ready at expiry, %d failed BATCH_EXPIRED; after replay all %d ready%n",
                    ready, ids.size(), failed.size(), ids.size());
            assertThat(after.keySet()).containsExactlyInAnyOrderElementsOf(failed);
            for (String id : ids) {
                assertThat(simulator.billedInBatch(Endpoint.IMAGES, id)).as("billed lines for %s", id).isEqualTo(1);
            }
        } finally {
            simulator.expireBatchesHalfDone(false);
        }
    }

    @Test
    void aPendingRecordThatIsNotAPromptCreatedIsOneIngestFailureAndTheLaneGoesOn() throws Exception {
        String garbage = "not-a-prompt-" + System.nanoTime();
        try (ResultWatcher watcher = pipeline.watcher(false)) {
            try (RequestPublisher pending = new RequestPublisher(pipeline.kafka(), pipeline.serde(), "image-batch-pending")) {
                pending.send(garbage, "not avro at all".getBytes(StandardCharsets.UTF_8));
            }
            List<String> ids = publish(12, "Hoi An lanterns");
            Map<String, List<RequestResult>> seen = results(watcher, ids, true);

            assertThat(seen.keySet()).containsExactlyInAnyOrderElementsOf(ids);
            assertThat(seen.values()).allSatisfy(events -> assertThat(events).hasSize(1));
            List<RequestFailed> failures = new ArrayList<>();
            CommittedRecords.read(pipeline.kafka(), pipeline.topics().requestFailed(), r -> {
                if (garbage.equals(new String(r.key(), StandardCharsets.UTF_8))) {
                    failures.add(pipeline.serde().deserialize(r.value(), RequestFailed.class));
                }
            });
            assertThat(failures).singleElement().satisfies(f -> {
                assertThat(f.getErrorCode()).isEqualTo(ErrorCodes.INGEST);
                assertThat(f.getStage()).isEqualTo("INGEST");
                assertThat(f.getOriginTopic()).isEqualTo("image-batch-pending");
            });
        }
    }

    @Test
    void aKeyWithoutTheBatchApisScopePausesTheLaneAloneUntilItHasItAgain() throws Exception {
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        java.net.URI readiness = java.net.URI.create(pipeline.managementUrls().get("image-worker") + "/health/ready");
        int batchesBefore = simulator.batchesCreated();
        simulator.forbidBatches(true);
        try (ResultWatcher watcher = pipeline.watcher(false)) {
            List<String> waiting = publish(5, "Lisbon trams at dusk");
            String[] reason = new String[1];
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
                var answer = http.send(java.net.http.HttpRequest.newBuilder(readiness).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                reason[0] = answer.body();
                return answer.statusCode() == 503;
            });
            assertThat(reason[0]).contains("IMAGE-BATCH stage paused").contains("AUTH").doesNotContain("Missing scopes");

            // The interactive lane goes on beside the paused one.
            List<String> interactive = new ArrayList<>();
            try (RequestPublisher publisher = pipeline.publisher()) {
                KeywordRequested request = RequestPublisher.request("Porto at noon", null, null, null, "batch-test");
                publisher.publish(request);
                interactive.add(request.getRequestId());
            }
            assertThat(results(watcher, interactive, true, false).get(interactive.get(0))).singleElement()
                    .isInstanceOf(RequestResult.Ready.class);
            assertThat(simulator.batchesCreated()).as("no batch while the key lacks the scope").isEqualTo(batchesBefore);

            simulator.forbidBatches(false);
            Map<String, List<RequestResult>> seen = results(watcher, waiting, true);
            assertThat(seen.values()).allSatisfy(events -> assertThat(events).singleElement()
                    .satisfies(e -> assertThat(((RequestResult.Ready) e).event().getLane()).isEqualTo(Priorities.BATCH)));
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> http.send(
                    java.net.http.HttpRequest.newBuilder(readiness).build(), java.net.http.HttpResponse.BodyHandlers.ofString())
                    .statusCode() == 200);
        } finally {
            simulator.forbidBatches(false);
        }
    }

    @Test
    void travelartBatchesListsTheBatchesWithTheirCountsAndCost() throws Exception {
        List<String> ids = publish(10, "Lisbon tram at dusk");
        try (ResultWatcher watcher = pipeline.watcher(false)) {
            results(watcher, ids, true);
        }
        // travelart status finds the batch a request was in, from the lane's records.
        StringWriter statusOut = new StringWriter();
        var status = TravelartCli.commandLine();
        status.setOut(new PrintWriter(statusOut, true));
        assertThat(status.execute("status", ids.get(0), "--json", "--bootstrap-servers", pipeline.kafka().bootstrapServers(),
                "--registry-url", pipeline.stack().registryUrl())).isZero();
        var journey = new com.fasterxml.jackson.databind.ObjectMapper().readTree(statusOut.toString());
        assertThat(journey.path("state").asText()).isEqualTo("READY");
        assertThat(journey.path("batchId").asText()).startsWith("batch_");
        List<String> steps = new ArrayList<>();
        journey.path("steps").forEach(step -> steps.add(step.path("what").asText()));
        assertThat(steps).containsExactly("asked for", "prompt written", "waiting for a batch",
                "in batch " + journey.path("batchId").asText(), "ready");

        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cli = TravelartCli.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute("batches", "--json", "--bootstrap-servers", pipeline.kafka().bootstrapServers(),
                "--registry-url", pipeline.stack().registryUrl());
        assertThat(code).as(err.toString()).isZero();
        var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        List<com.fasterxml.jackson.databind.JsonNode> lines = new ArrayList<>();
        for (String line : out.toString().split("\n")) {
            lines.add(mapper.readTree(line));
        }
        List<BatchRecord> done = batchRecords().stream().filter(b -> b.state().equals(BatchRecord.DONE)).toList();
        assertThat(lines).hasSize((int) done.stream().map(BatchRecord::batchId).distinct().count());
        assertThat(lines).allSatisfy(l -> {
            assertThat(l.path("state").asText()).isIn("completed", "expired", "cancelled", "failed");
            assertThat(l.path("ready").asInt() + l.path("failed").asInt()).isEqualTo(l.path("requests").asInt());
            assertThat(l.path("estimatedCostUsd").asDouble()).isGreaterThanOrEqualTo(0);
        });
        assertThat(lines.stream().mapToInt(l -> l.path("ready").asInt()).sum()).isGreaterThanOrEqualTo(10);
    }
}
