package io.travelart.system;

import io.travelart.cli.local.LocalPipeline;
import io.travelart.cli.records.RequestPublisher;
import io.travelart.devstack.openai.OpenAiSimulator.Endpoint;
import io.travelart.devstack.s3.S3MockServer;
import io.travelart.devstack.openai.SimulatorSettings;
import io.travelart.events.ImageReady;
import io.travelart.events.KeywordRequested;
import io.travelart.core.results.RequestResult;
import io.travelart.core.results.ResultWatcher;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import io.travelart.cli.records.CommittedRecords;

/**
 * The end-to-end scenarios with the image-worker on the S3 store, against a real S3 server (Adobe's
 * S3Mock as a child process) with presigned URLs; and the store taken away mid-run and brought back.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class S3EndToEndIT extends EndToEndScenarios {

    private static final String BUCKET = "travelart-images";

    private Path data;
    private S3MockServer s3;
    private LocalPipeline pipeline;

    @BeforeAll
    void startStack() throws IOException {
        data = Files.createTempDirectory("travelart-s3");
        s3 = S3MockServer.start(data.resolve("s3"), List.of(BUCKET));
        pipeline = LocalPipeline.start(data, 3,
                Optional.of(SimulatorSettings.defaults().withLatency(Duration.ofMillis(50), Duration.ofMillis(100))),
                Map.of("TRAVELART_MAX_IN_FLIGHT", "16", "TRAVELART_OPENAI_STRICT_RESPONSES", "true",
                        "TRAVELART_IMAGE_STORE", "s3", "TRAVELART_S3_BUCKET", BUCKET, "TRAVELART_S3_ENDPOINT", s3.endpoint(),
                        "AWS_ACCESS_KEY_ID", "travelart-test", "AWS_SECRET_ACCESS_KEY", "not-a-secret"));
    }

    @AfterAll
    void stopStack() {
        if (pipeline != null) {
            pipeline.close();
        }
        if (s3 != null) {
            s3.close();
        }
        TestDirs.delete(data);
    }

    @Override
    protected LocalPipeline pipeline() {
        return pipeline;
    }

    @Test
    void theStoreTakenAwayMidRunAndBroughtBackLosesNothingDuplicatesNothingAndPaysForNoImageTwice() throws Exception {
        var simulator = pipeline.stack().simulator().orElseThrow();
        simulator.settings(SimulatorSettings.defaults().withLatency(Duration.ofMillis(20), Duration.ofMillis(400)));
        List<String> ids = new ArrayList<>();
        Map<String, List<ImageReady>> ready = new HashMap<>();
        try (ResultWatcher watcher = pipeline.watcher(false); RequestPublisher publisher = pipeline.publisher()) {
            for (int i = 0; i < 120; i++) {
                KeywordRequested request = RequestPublisher.request("Lisbon tram at dusk " + i, null, null, null, "s3-fault");
                publisher.publish(request);
                ids.add(request.getRequestId());
            }
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(50))
                    .until(() -> collect(watcher, ready) >= 20 && simulator.inFlight(Endpoint.IMAGES) >= 8);

            // The store goes away while images are being paid for: those must be written again, not bought again.
            long billedAtStop = billed(simulator, ids);
            s3.close();
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                    .until(() -> billed(simulator, ids) >= billedAtStop + 5);
            long paidWhileAway = billed(simulator, ids) - billedAtStop;
            long readyBeforeRestart = collect(watcher, ready);
            long started = System.nanoTime();
            s3 = s3.restart();
            long downMs = (System.nanoTime() - started) / 1_000_000;

            await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(200))
                    .until(() -> collect(watcher, ready) >= ids.size());
            // The image stage has answered every prompt for good, so nothing more can come of them: the topic's count is exact.
            Answered.await(pipeline.kafka(), "image-worker", pipeline.topics().promptCreated(), Duration.ofSeconds(60));
            Map<String, Integer> readyCounts = CommittedRecords.keyCounts(pipeline.kafka(), pipeline.topics().imageReady());

            long lost = ids.stream().filter(id -> !ready.containsKey(id)).count();
            long duplicated = ids.stream().filter(id -> readyCounts.getOrDefault(id, 0) > 1).count();
            long paidTwice = ids.stream().filter(id -> simulator.billed(Endpoint.IMAGES, id) > 1).count();
            double storageRetries = MetricsScrape.sum(pipeline.managementUrls().get("image-worker"), "travelart_retries_total", "code=\"STORAGE\"");
            System.out.printf("fault S3 store away (%d ms to restart, %d images paid for from its stop on, %.0f store retries, %d ready before): "
                            + "%d requests, %d image-ready, %d lost, %d duplicated, %d images paid twice%n",
                    downMs, paidWhileAway, storageRetries, readyBeforeRestart, ids.size(), ready.size(), lost, duplicated, paidTwice);

            assertThat(paidWhileAway).isGreaterThanOrEqualTo(5);
            assertThat(storageRetries).as("reads and writes retried while the store was away").isPositive();
            assertThat(lost).isZero();
            assertThat(duplicated).isZero();
            assertThat(paidTwice).isZero();
            assertThat(ready.keySet()).containsExactlyInAnyOrderElementsOf(ids);
            // Every image is in the bucket and served at its published URL.
            HttpClient http = HttpClient.newHttpClient();
            for (String id : Set.copyOf(ids)) {
                ImageReady event = ready.get(id).get(0);
                assertThat(event.getImageLocation()).isEqualTo("s3://" + BUCKET + "/images/" + id);
                HttpResponse<byte[]> image = http.send(HttpRequest.newBuilder(URI.create(event.getImageUrl())).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                assertThat(image.statusCode()).as(event.getImageUrl()).isEqualTo(200);
                assertThat(image.body()).hasSize((int) event.getSizeBytes());
            }
        } finally {
            simulator.settings(SimulatorSettings.defaults().withLatency(Duration.ofMillis(50), Duration.ofMillis(100)));
        }
    }

    private static long billed(io.travelart.devstack.openai.OpenAiSimulator simulator, List<String> ids) {
        return ids.stream().filter(id -> simulator.billed(Endpoint.IMAGES, id) > 0).count();
    }

    /** Reads what has arrived; returns how many requests have an image-ready. */
    private static long collect(ResultWatcher watcher, Map<String, List<ImageReady>> ready) {
        watcher.poll(Duration.ofMillis(100)).forEach(r -> add(r, ready));
        return ready.size();
    }

    private static void add(RequestResult result, Map<String, List<ImageReady>> ready) {
        if (result instanceof RequestResult.Ready r) {
            ready.computeIfAbsent(r.event().getRequestId(), k -> new ArrayList<>()).add(r.event());
        }
    }
}
