package io.travelart.system;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.travelart.cli.local.LocalPipeline;
import io.travelart.cli.records.RequestPublisher;
import io.travelart.core.failure.ErrorCodes;
import io.travelart.core.results.RequestResult;
import io.travelart.core.results.ResultWatcher;
import io.travelart.devstack.openai.OpenAiSimulator;
import io.travelart.devstack.openai.SimulatorSettings;
import io.travelart.image.app.ImageWorker;
import io.travelart.prompt.app.PromptWorker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

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
 * {@code travelart cancel} against the whole pipeline: one partition and one image call at a time, each drawn for 2 s, so
 * that a request can be cancelled while it waits behind another and while its own call runs. A cancelled request that
 * waits ends as one CANCELLED failure and its image is never asked for; one whose call had started is drawn and kept.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CancelIT {

    private static final Duration DRAWING = Duration.ofSeconds(2);
    private java.nio.file.Path dir;
    private LocalPipeline pipeline;
    private OpenAiSimulator simulator;

    @BeforeAll
    void start() throws Exception {
        dir = Files.createTempDirectory("travelart-cancel");
        pipeline = LocalPipeline.start(dir, 1,
                Optional.of(SimulatorSettings.instant().withLatency(Duration.ZERO, DRAWING)),
                Map.of("TRAVELART_MAX_IN_FLIGHT", "1"));
        simulator = pipeline.stack().simulator().orElseThrow();
    }

    @AfterAll
    void stop() {
        if (pipeline != null) {
            pipeline.close();
        }
        TestDirs.delete(dir);
    }


    private List<String> publish(String... keywords) {
        List<String> ids = new ArrayList<>();
        try (RequestPublisher publisher = pipeline.publisher()) {
            for (String keyword : keywords) {
                var request = RequestPublisher.request(keyword, null, null, null, "cancel-test");
                publisher.publish(request);
                ids.add(request.getRequestId());
            }
        }
        return ids;
    }

    @Test
    void aWaitingRequestEndsCancelledWithNoImagePaidAndOneWhoseCallStartedIsKept() throws Exception {
        Map<String, RequestResult> ended = new HashMap<>();
        try (ResultWatcher watcher = pipeline.watcher(false)) {
            List<String> ids = publish("Hallstatt under snow", "Petra by candlelight", "Bergen fish market at noon");
            String drawing = ids.get(0);
            String waiting = ids.get(2);
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(10))
                    .until(() -> simulator.calls(OpenAiSimulator.Endpoint.IMAGES, drawing) == 1);

            // What a hostile or broken writer leaves on the topic (not Avro; an unknown schema id under a key that is no
            // request id) is passed over, not the end of the workers' reading. (A record without a key the broker refuses.)
            try (RequestPublisher raw = new RequestPublisher(pipeline.kafka(), pipeline.serde(), pipeline.topics().requestCancelled())) {
                raw.send(waiting, "not avro at all".getBytes(StandardCharsets.UTF_8));
                raw.send("not a request id\n", new byte[]{0, 0, 0x0F, 0x42, 0x40, 1});
            }
            CliRun cancelled = CliRun.against(pipeline, "cancel", waiting, drawing, "--reason", "the campaign was called off", "--by", "ops");
            assertThat(cancelled.exitCode()).as(cancelled.err()).isZero();
            assertThat(cancelled.lines().get(0)).startsWith(waiting + "  cancel recorded (request-cancelled-0@");

            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(10)).pollInSameThread().until(() -> {
                watcher.poll(Duration.ofMillis(100)).forEach(r -> ended.put(r.requestId(), r));
                return ended.keySet().containsAll(ids);
            });
            assertThat(ended.get(drawing)).as("its image call had started: drawn, paid and kept").isInstanceOf(RequestResult.Ready.class);
            assertThat(ended.get(ids.get(1))).isInstanceOf(RequestResult.Ready.class);
            assertThat(ended.get(waiting)).isInstanceOfSatisfying(RequestResult.Failed.class, f -> {
                assertThat(f.event().getErrorCode()).isEqualTo(ErrorCodes.CANCELLED);
                assertThat(f.event().getRetriable()).isFalse();
                assertThat(f.event().getMessage()).startsWith("cancelled by ops at ").endsWith(": the campaign was called off");
            });
            assertThat(simulator.calls(OpenAiSimulator.Endpoint.IMAGES, waiting)).as("no image asked for").isZero();
            assertThat(simulator.calls(OpenAiSimulator.Endpoint.IMAGES, drawing)).isEqualTo(1);

            JsonNode status = new ObjectMapper().readTree(CliRun.against(pipeline, "status", waiting, "--json").out());
            assertThat(status.path("state").asText()).isEqualTo("CANCELLED");
            assertThat(status.path("final").asBoolean()).isTrue();
            assertThat(status.path("steps").toString()).contains("cancel asked for by ops: the campaign was called off");
            String shown = CliRun.against(pipeline, "status", waiting).out();
            assertThat(shown).contains("  state:  cancelled").contains("  ended:  cancelled by ops at ");

            CliRun replay = CliRun.against(pipeline, "replay", "--request-id", waiting);
            assertThat(replay.exitCode()).as(replay.err()).isZero();
            assertThat(replay.out()).contains("skipped: cancelled (--include-cancelled");

            // How long after each cancel was written a worker knew of it: from then on no call of that request starts.
            for (String worker : List.of(PromptWorker.NAME, ImageWorker.NAME)) {
                String url = pipeline.managementUrls().get(worker);
                double seen = MetricsScrape.sum(url, "travelart_cancel_effect_seconds_count", "");
                double most = MetricsScrape.sum(url, "travelart_cancel_effect_seconds_max", "");
                System.out.printf("cancel to effect, %s: %.0f cancels read, the slowest after %.0f ms%n", worker, seen, most * 1000);
                assertThat(seen).as(worker + " read both cancels").isEqualTo(2);
                assertThat(most).as(worker + ": seconds from a cancel to its effect").isLessThan(2.0);
            }
        }
    }
}
