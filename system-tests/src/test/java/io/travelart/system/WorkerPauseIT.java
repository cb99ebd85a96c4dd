package io.travelart.system;

import io.travelart.cli.records.CommittedRecords;
import io.travelart.cli.local.LocalPipeline;
import io.travelart.cli.records.RequestPublisher;
import io.travelart.core.failure.ErrorCodes;
import io.travelart.devstack.openai.OpenAiSimulator;
import io.travelart.events.KeywordRequested;
import io.travelart.core.results.RequestResult;
import io.travelart.core.results.ResultWatcher;
import io.travelart.image.app.ImageWorker;
import io.travelart.prompt.app.PromptWorker;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A failure that belongs to the worker (the model retired, the key revoked, the account out of credit)
 * in the middle of a run with 100 requests waiting: the stage pauses and reports why on /health/ready,
 * no request fails, and once the provider is fixed every request reaches image-ready exactly once.
 */
class WorkerPauseIT {

    private static final int REQUESTS = 100;

    private final HttpClient http = HttpClient.newHttpClient();
    private final LocalPipeline pipeline = SharedPipeline.get();
    private final OpenAiSimulator simulator = pipeline.stack().simulator().orElseThrow();

    @Test
    void aModelRetiredMidRunPausesTheImageStageUntilItIsServedAgain() throws Exception {
        String model = io.travelart.image.app.ImageWorkerConfig.DEFAULT_IMAGE_MODEL;
        simulator.models().shutDownOn(model, LocalDate.now(ZoneOffset.UTC));
        try {
            pausesThenResumes(ImageWorker.NAME, ErrorCodes.MODEL_UNAVAILABLE, model,
                    () -> simulator.models().shutDownOn(model, null));
        } finally {
            simulator.models().shutDownOn(model, null);
        }
    }

    @Test
    void aRevokedKeyPausesThePromptStageUntilTheKeyIsAcceptedAgain() throws Exception {
        simulator.revokeKey(true);
        try {
            pausesThenResumes(PromptWorker.NAME, ErrorCodes.AUTH, "invalid_api_key", () -> simulator.revokeKey(false));
        } finally {
            simulator.revokeKey(false);
        }
    }

    @Test
    void anExhaustedQuotaPausesThePromptStageAndARealRequestProbesIt() throws Exception {
        simulator.exhaustQuota(true);
        try {
            pausesThenResumes(PromptWorker.NAME, ErrorCodes.QUOTA_EXHAUSTED, "insufficient_quota", () -> simulator.exhaustQuota(false));
        } finally {
            simulator.exhaustQuota(false);
        }
    }

    private void pausesThenResumes(String worker, String code, String detail, Runnable fix) throws Exception {
        Map<String, Integer> ready = new HashMap<>();
        List<String> failed = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        try (ResultWatcher watcher = pipeline.watcher(false); RequestPublisher publisher = pipeline.publisher()) {
            for (int i = 0; i < REQUESTS; i++) {
                KeywordRequested request = RequestPublisher.request("Lisbon trams at dusk " + i, null, null, null, "pause-test");
                publisher.publish(request);
                ids.add(request.getRequestId());
            }
            String readiness = pipeline.managementUrls().get(worker) + "/health/ready";
            HttpResponse<String>[] paused = new HttpResponse[1];
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
                paused[0] = http.send(HttpRequest.newBuilder(URI.create(readiness)).build(), HttpResponse.BodyHandlers.ofString());
                return paused[0].statusCode() == 503;
            });
            assertThat(paused[0].body()).contains("stage paused").contains(code)
                    .as("the provider's own words stay in the log").doesNotContain(detail);

            // Paused for a while, with probes failing meanwhile: nothing is published for these requests, the whole time.
            await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10)).pollInSameThread()
                    .until(() -> {
                        collect(watcher, ids, ready, failed);
                        return ready.isEmpty() && failed.isEmpty();
                    });
            assertThat(ids).allSatisfy(id -> assertThat(simulator.billed(OpenAiSimulator.Endpoint.IMAGES, id)).isZero());

            fix.run();
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(10)).until(() -> {
                collect(watcher, ids, ready, failed);
                return ready.size() == REQUESTS;
            });
            // Both stages have answered every input for good: nothing more can come of them, so the topics' counts are exact.
            Answered.await(pipeline.kafka(), PromptWorker.NAME, pipeline.topics().keywordRequested(), Duration.ofSeconds(60));
            Answered.await(pipeline.kafka(), ImageWorker.NAME, pipeline.topics().promptCreated(), Duration.ofSeconds(60));
            Map<String, Integer> readyCounts = CommittedRecords.keyCounts(pipeline.kafka(), pipeline.topics().imageReady());
            Map<String, Integer> failedCounts = CommittedRecords.keyCounts(pipeline.kafka(), pipeline.topics().requestFailed());
            assertThat(failed).isEmpty();
            assertThat(ids).allSatisfy(id -> assertThat(failedCounts).doesNotContainKey(id));
            assertThat(ids).allSatisfy(id -> assertThat(readyCounts.get(id)).as("image-ready of %s", id).isEqualTo(1));
            assertThat(ids).allSatisfy(id -> assertThat(simulator.billed(OpenAiSimulator.Endpoint.IMAGES, id)).isEqualTo(1));
            assertThat(http.send(HttpRequest.newBuilder(URI.create(readiness)).build(), HttpResponse.BodyHandlers.ofString())
                    .statusCode()).isEqualTo(200);
            System.out.printf("pause (%s, %s): %d requests, paused with 0 failed, then %d image-ready once each%n",
                    worker, code, REQUESTS, ready.size());
        }
    }

    private static void collect(ResultWatcher watcher, List<String> ids, Map<String, Integer> ready, List<String> failed) {
        for (RequestResult result : watcher.poll(Duration.ofMillis(100))) {
            if (!ids.contains(result.requestId())) {
                continue;
            }
            if (result instanceof RequestResult.Ready) {
                ready.merge(result.requestId(), 1, Integer::sum);
            } else {
                failed.add(result.requestId() + " " + ((RequestResult.Failed) result).event().getErrorCode());
            }
        }
    }
}
