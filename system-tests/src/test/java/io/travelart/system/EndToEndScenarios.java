package io.travelart.system;

import io.travelart.cli.local.LocalPipeline;
import io.travelart.cli.records.RequestPublisher;
import io.travelart.core.config.KafkaConfig;
import io.travelart.core.failure.ErrorCodes;
import io.travelart.core.failure.StageNames;
import io.travelart.devstack.openai.OpenAiSimulator;
import io.travelart.devstack.openai.SimulatorSettings;
import io.travelart.events.ImageReady;
import io.travelart.events.KeywordRequested;
import io.travelart.events.RequestFailed;
import io.travelart.core.results.RequestResult;
import io.travelart.core.results.ResultWatcher;
import io.travelart.image.store.FileSystemImageStore;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import io.travelart.cli.records.CommittedRecords;
import static org.awaitility.Awaitility.await;

/**
 * The end-to-end scenarios, run on each kind of stack (one subclass each): 50 keywords on a 3-partition
 * topic through a real broker, registry, the simulator and both workers, with bad inputs mixed in. Every
 * good request ends as one image-ready whose URL serves the bytes its sha256 names; every bad one as exactly
 * one request-failed with the right code.
 */
abstract class EndToEndScenarios {

    private final HttpClient http = HttpClient.newHttpClient();

    /** The pipeline under test, on the subclass's stack. */
    protected abstract LocalPipeline pipeline();

    /** Who reads the results, as a subscriber: the pipeline's own reader unless the stack gives subscribers a principal. */
    protected ResultWatcher watcher() {
        return pipeline().watcher(false);
    }

    /** Who checks the topics and the groups' offsets at the end: the pipeline's own client unless it may not. */
    protected KafkaConfig observer() {
        return pipeline().kafka();
    }

    /** Image calls made for a request, answered or not. */
    protected long imageCalls(String requestId) {
        return pipeline().stack().simulator().orElseThrow().calls(OpenAiSimulator.Endpoint.IMAGES, requestId);
    }

    /** Images paid for (billed by the provider, or drawn on the GPU) for a request. */
    protected long imagesPaid(String requestId) {
        return pipeline().stack().simulator().orElseThrow().billed(OpenAiSimulator.Endpoint.IMAGES, requestId);
    }

    @Test
    void fiftyKeywordsBecomeFiftyStoredImagesAndEachBadInputOneFailure() throws Exception {
        LocalPipeline pipeline = pipeline();
        Map<String, String> good = new LinkedHashMap<>();
        Map<String, String> badByKey = new LinkedHashMap<>();
        Map<String, byte[]> rawByKey = new HashMap<>();
        Map<String, String[]> expectedFailure = new HashMap<>();
        byte[] known;

        try (ResultWatcher watcher = watcher(); RequestPublisher publisher = pipeline.publisher()) {
            known = pipeline.serde().serialize(pipeline.topics().keywordRequested(),
                    RequestPublisher.request("template", null, null, null, "test"));
            for (int i = 0; i < 50; i++) {
                KeywordRequested request = RequestPublisher.request(i % 2 == 0 ? "겨울밤의 파리 " + i : "Kyoto in autumn rain " + i,
                        i % 3 == 0 ? "watercolor" : null, "ko-KR", null, "e2e");
                publisher.publish(request);
                good.put(request.getRequestId(), request.getKeyword());
                if (i % 10 == 5) {
                    publishBad(publisher, badByKey, expectedFailure, "blank", "   ", ErrorCodes.INVALID_INPUT, StageNames.PROMPT);
                    publishBad(publisher, badByKey, expectedFailure, "long", "파".repeat(201), ErrorCodes.INVALID_INPUT, StageNames.PROMPT);
                    publishBad(publisher, badByKey, expectedFailure, "refused", "Paris " + SimulatorSettings.DEFAULT_REFUSAL_MARKER,
                            ErrorCodes.CONTENT_POLICY, StageNames.PROMPT);
                    publishBad(publisher, badByKey, expectedFailure, "flagged", "Paris " + SimulatorSettings.FLAG_MARKER,
                            ErrorCodes.CONTENT_POLICY, StageNames.PROMPT);
                    publishBad(publisher, badByKey, expectedFailure, "size", RequestPublisher.request("Oslo", null, null, "1000x1004", "e2e-bad"),
                            ErrorCodes.INVALID_INPUT, StageNames.PROMPT);
                }
            }
            Map<String, byte[]> raw = new LinkedHashMap<>();
            raw.put("garbage", "this is not avro".getBytes(StandardCharsets.UTF_8));
            raw.put("wrong-magic", new byte[]{7, 0, 0, 0, 1, 2, 3});
            raw.put("unknown-id", new byte[]{0, 0x7f, 0x7f, 0x7f, 0x7f, 2, 4});
            raw.put("truncated", Arrays.copyOf(known, 8));
            raw.put("empty", new byte[0]);
            for (Map.Entry<String, byte[]> entry : raw.entrySet()) {
                String key = "raw-" + entry.getKey();
                publisher.send(key, entry.getValue());
                rawByKey.put(key, entry.getValue());
            }

            List<ImageReady> ready = new ArrayList<>();
            List<RequestFailed> failed = new ArrayList<>();
            int expectedFailures = badByKey.size() + rawByKey.size();
            await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(10)).pollInSameThread().until(() -> {
                collect(watcher.poll(Duration.ofMillis(200)), ready, failed);
                return ready.size() >= good.size() && failed.size() >= expectedFailures;
            });
            // Both stages have answered every input for good, so nothing more can come of them: what the topics hold
            // now is the exact count, a late duplicate included.
            Answered.await(observer(), "prompt-worker", pipeline.topics().keywordRequested(), Duration.ofSeconds(60));
            Answered.await(observer(), "image-worker", pipeline.topics().promptCreated(), Duration.ofSeconds(60));
            Map<String, Integer> readyCounts = CommittedRecords.keyCounts(observer(), pipeline.topics().imageReady());
            Map<String, Integer> failedCounts = CommittedRecords.keyCounts(observer(), pipeline.topics().requestFailed());
            assertThat(good.keySet()).allSatisfy(id -> assertThat(readyCounts.get(id)).as("image-ready of %s", id).isEqualTo(1));
            assertThat(badByKey.keySet()).allSatisfy(id -> assertThat(failedCounts.get(id)).as("request-failed of %s", id).isEqualTo(1));
            assertThat(rawByKey.keySet()).allSatisfy(key -> assertThat(failedCounts.get(key)).as("request-failed of %s", key).isEqualTo(1));

            // 50 ready, one per good request, nothing else
            assertThat(ready).extracting(ImageReady::getRequestId).doesNotHaveDuplicates()
                    .containsExactlyInAnyOrderElementsOf(good.keySet());
            for (ImageReady event : ready) {
                assertThat(event.getRequest().getKeyword()).isEqualTo(good.get(event.getRequestId()));
                assertThat(event.getPrompt()).contains(event.getRequest().getKeyword());
                HttpResponse<byte[]> image = http.send(HttpRequest.newBuilder(URI.create(event.getImageUrl())).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                assertThat(image.statusCode()).as(event.getImageUrl()).isEqualTo(200);
                assertThat(FileSystemImageStore.sha256(image.body())).isEqualTo(event.getSha256());
                assertThat((long) image.body().length).isEqualTo(event.getSizeBytes());
                var png = ImageIO.read(new ByteArrayInputStream(image.body()));
                assertThat(png.getWidth()).isEqualTo(1024);
                assertThat(png.getHeight()).isEqualTo(1024);
                assertThat(imagesPaid(event.getRequestId())).isEqualTo(1);
            }

            // each bad input: exactly one failure with the right stage and code
            assertThat(failed).hasSize(expectedFailures);
            Set<String> seenKeys = new HashSet<>();
            for (RequestFailed failure : failed) {
                if (failure.getStage().equals(StageNames.INGEST)) {
                    String key = StandardCharsets.UTF_8.decode(failure.getOriginalKey()).toString();
                    assertThat(rawByKey).containsKey(key);
                    assertThat(failure.getErrorCode()).isEqualTo(ErrorCodes.INGEST);
                    assertThat(failure.getRequestId()).isNull();
                    assertThat(bytes(failure.getOriginalValue())).isEqualTo(rawByKey.get(key));
                    assertThat(seenKeys.add(key)).as("one failure for %s", key).isTrue();
                } else {
                    String[] expected = expectedFailure.get(failure.getRequestId());
                    assertThat(expected).as("failure for unexpected request %s", failure.getRequestId()).isNotNull();
                    assertThat(failure.getErrorCode()).isEqualTo(expected[0]);
                    assertThat(failure.getStage()).isEqualTo(expected[1]);
                    assertThat(failure.getOriginTopic()).isEqualTo(pipeline.topics().keywordRequested());
                    assertThat(failure.getOriginalValue()).isNotNull();
                    assertThat(seenKeys.add(failure.getRequestId())).as("one failure for %s", failure.getRequestId()).isTrue();
                    OpenAiSimulator simulator = pipeline.stack().simulator().orElseThrow();
                    String label = badByKey.get(failure.getRequestId());
                    if (label.equals("flagged") || expected[0].equals(ErrorCodes.INVALID_INPUT)) {
                        assertThat(simulator.calls(OpenAiSimulator.Endpoint.CHAT, failure.getRequestId()))
                                .as("no chat call for %s input", label).isZero();
                        assertThat(imageCalls(failure.getRequestId())).as("no image call for %s input", label).isZero();
                    }
                    if (label.equals("flagged")) {
                        assertThat(failure.getMessage()).isEqualTo("the moderation check flagged the keyword or style: violence");
                        assertThat(simulator.calls(OpenAiSimulator.Endpoint.MODERATIONS, failure.getRequestId())).isEqualTo(1);
                    }
                    if (expected[0].equals(ErrorCodes.INVALID_INPUT)) {
                        assertThat(simulator.calls(OpenAiSimulator.Endpoint.MODERATIONS, failure.getRequestId()))
                                .as("not even the free check for invalid input").isZero();
                    }
                    if (label.equals("size")) {
                        // gpt-image-2 draws edges divisible by 16, Stable Diffusion by 8: 1004 is neither
                        assertThat(failure.getMessage()).startsWith("imageSize 1000x1004: ").contains("needs both edges divisible by");
                    }
                }
            }
            System.out.printf("end-to-end (%s): %d requests, %d ready, %d failed as expected, 0 lost, 0 duplicated%n",
                    getClass().getSimpleName(), good.size() + expectedFailures, ready.size(), failed.size());
        }
    }

    private static void publishBad(RequestPublisher publisher, Map<String, String> badByKey, Map<String, String[]> expected,
                                   String label, String keyword, String code, String stage) {
        publishBad(publisher, badByKey, expected, label, RequestPublisher.request(keyword, null, null, null, "e2e-bad"), code, stage);
    }

    private static void publishBad(RequestPublisher publisher, Map<String, String> badByKey, Map<String, String[]> expected,
                                   String label, KeywordRequested request, String code, String stage) {
        publisher.publish(request);
        badByKey.put(request.getRequestId(), label);
        expected.put(request.getRequestId(), new String[]{code, stage});
    }

    private static void collect(List<RequestResult> results, List<ImageReady> ready, List<RequestFailed> failed) {
        for (RequestResult result : results) {
            if (result instanceof RequestResult.Ready r) {
                ready.add(r.event());
            } else {
                failed.add(((RequestResult.Failed) result).event());
            }
        }
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }
}
