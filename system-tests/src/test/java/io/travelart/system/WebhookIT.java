package io.travelart.system;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.travelart.cli.local.LocalPipeline;
import io.travelart.cli.records.CommittedRecords;
import io.travelart.cli.records.RequestPublisher;
import io.travelart.core.config.Settings;
import io.travelart.core.kafka.TopicSetup;
import io.travelart.core.worker.Worker;
import io.travelart.devstack.openai.OpenAiSimulator;
import io.travelart.devstack.openai.SimulatorSettings;
import io.travelart.events.WebhookDelivered;
import io.travelart.webhook.Endpoints;
import io.travelart.webhook.Receiver;
import io.travelart.webhook.WebhookTopics;
import io.travelart.webhook.app.WebhookWorker;
import io.travelart.webhook.app.WebhookWorkerConfig;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The webhook-worker on the whole pipeline, delivering to a real HTTP receiver that checks every signature with the
 * Standard Webhooks reference library: a receiver down for a while gets every event once it is back, a cancelled
 * request arrives as its failure, a source system without an endpoint gets nothing, what an endpoint refused is sent
 * again by {@code travelart webhooks replay} with the same id, and the delivery latency after image-ready is measured.
 * One partition and one image call at a time, each drawn for 2 s, so that a request can be cancelled while it waits.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WebhookIT {

    private static final String SOURCE = "webhook-it";
    private static final ObjectMapper JSON = new ObjectMapper();

    private Path dir;
    private LocalPipeline pipeline;
    private OpenAiSimulator simulator;
    private Receiver receiver;
    private Worker<SpecificRecord, WebhookDelivered> webhooks;

    @BeforeAll
    void start() throws Exception {
        dir = Files.createTempDirectory("travelart-webhook");
        pipeline = LocalPipeline.start(dir, 1, Optional.of(SimulatorSettings.instant().withLatency(Duration.ZERO, Duration.ofSeconds(2))),
                Map.of("TRAVELART_MAX_IN_FLIGHT", "1"));
        simulator = pipeline.stack().simulator().orElseThrow();
        try (TopicSetup setup = new TopicSetup(pipeline.kafka(), Duration.ofSeconds(30))) {
            setup.create(WebhookTopics.DEFAULT.all(), 1, (short) 1);
        }
        String secret = Endpoints.newSecret();
        receiver = new Receiver(secret);
        Map<String, String> settings = LocalPipeline.workerSettings(pipeline.stack(), dir);
        settings.putAll(Map.of(
                "TRAVELART_INSTANCE_ID", "webhook-it",
                "TRAVELART_WEBHOOK_ENDPOINTS", SOURCE + "=" + receiver.url(),
                "TRAVELART_WEBHOOK_SECRETS", SOURCE + "=" + secret,
                "TRAVELART_WEBHOOK_BACKOFF_FIRST", "100ms",
                "TRAVELART_WEBHOOK_BACKOFF_MAX", "500ms",
                "TRAVELART_WEBHOOK_RETRY_FOR", "3m"));
        webhooks = WebhookWorker.start(WebhookWorkerConfig.from(Settings.of(settings)));
    }

    @AfterAll
    void stop() {
        if (webhooks != null) {
            webhooks.close();
        }
        if (receiver != null) {
            receiver.close();
        }
        if (pipeline != null) {
            pipeline.close();
        }
        TestDirs.delete(dir);
    }


    private String publish(String keyword, String source) {
        try (RequestPublisher publisher = pipeline.publisher()) {
            var request = RequestPublisher.request(keyword, null, null, null, source);
            publisher.publish(request);
            return request.getRequestId();
        }
    }

    /** The deliveries of one request as the receiver got them, with their bodies read. */
    private List<JsonNode> received(String requestId) {
        List<JsonNode> found = new ArrayList<>();
        for (Receiver.Delivery d : receiver.deliveries) {
            JsonNode body = read(d.body());
            if (requestId.equals(body.path("data").path("requestId").asText())) {
                found.add(body);
            }
        }
        return found;
    }

    private static JsonNode read(String body) {
        try {
            return JSON.readTree(body);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private List<Receiver.Delivery> deliveries(String requestId) {
        return receiver.deliveries.stream().filter(d -> requestId.equals(read(d.body()).path("data").path("requestId").asText())).toList();
    }

    private Set<String> idsReceived(String requestId) {
        Set<String> ids = new HashSet<>();
        for (Receiver.Delivery d : receiver.deliveries) {
            if (requestId.equals(read(d.body()).path("data").path("requestId").asText())) {
                ids.add(d.webhookId());
            }
        }
        return ids;
    }

    private List<WebhookDelivered> deliveryLog() {
        List<WebhookDelivered> log = new ArrayList<>();
        CommittedRecords.read(pipeline.kafka(), WebhookTopics.DEFAULT.delivered(),
                record -> log.add(pipeline.serde().deserialize(record.value(), WebhookDelivered.class)));
        return log;
    }

    @Test
    void aReceiverDownForAWhileGetsEveryEventOnceItIsBackSignedAndACancelledRequestAsItsFailure() throws Exception {
        receiver.stop();
        String first = publish("Hallstatt under snow", SOURCE);
        String second = publish("Petra by candlelight", SOURCE);
        String cancelled = publish("Bergen fish market at noon", SOURCE);
        String elsewhere = publish("Porto from the river", "no-endpoint-here");
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(10))
                .until(() -> simulator.calls(OpenAiSimulator.Endpoint.IMAGES, first) == 1);
        CliRun cancel = CliRun.against(pipeline, "cancel", cancelled, "--reason", "not needed", "--by", "webhook-it");
        assertThat(cancel.exitCode()).as(cancel.err()).isZero();

        // Every request ends while the receiver is down (the pipeline does not wait for its subscribers), and the delivery
        // log stays empty: nothing was acknowledged.
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> simulator.calls(OpenAiSimulator.Endpoint.IMAGES, elsewhere) == 1);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> CliRun.against(pipeline, "status", elsewhere, "--json")
                .out().contains("\"final\":true"));
        assertThat(deliveryLog()).extracting(WebhookDelivered::getRequestId).doesNotContain(first, second, cancelled);
        assertThat(received(first)).isEmpty();

        receiver.restart();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() ->
                idsReceived(first).size() == 1 && idsReceived(second).size() == 1 && idsReceived(cancelled).size() == 1);

        assertThat(List.of(first, second, cancelled)).flatMap(this::deliveries)
                .allMatch(Receiver.Delivery::verified, "signature verified by the Standard Webhooks library");
        JsonNode ready = received(first).get(0);
        assertThat(ready.path("type").asText()).isEqualTo("image.ready");
        assertThat(ready.path("data").path("imageUrl").asText()).startsWith("http://127.0.0.1:").endsWith(first + ".png");
        assertThat(ready.path("data").path("sourceSystem").asText()).isEqualTo(SOURCE);
        JsonNode failure = received(cancelled).get(0);
        assertThat(failure.path("type").asText()).isEqualTo("request.failed");
        assertThat(failure.path("data").path("state").asText()).isEqualTo("CANCELLED");
        assertThat(failure.path("data").path("message").asText()).contains("webhook-it", "not needed");
        assertThat(received(elsewhere)).as("a source system without an endpoint gets nothing").isEmpty();

        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> deliveryLog().stream()
                .map(WebhookDelivered::getRequestId).toList().containsAll(List.of(first, second, cancelled)));
        List<WebhookDelivered> logged = deliveryLog().stream().filter(d -> d.getRequestId().equals(first)).toList();
        assertThat(logged).extracting(WebhookDelivered::getWebhookId).containsOnly(idsReceived(first).iterator().next());
        assertThat(logged.get(0).getAttempts()).as("tried while the receiver was down, delivered once it was back").isGreaterThan(1);
        assertThat(logged.get(0).getEndpoint()).isEqualTo("http://127.0.0.1:" + receiver.port());
    }

    @Test
    void anEventTheEndpointRefusedIsRecordedAndSentAgainByReplayWithTheSameId() throws Exception {
        String refusedOnce = publish("Valletta harbour at dawn", SOURCE);
        // A redirect is refused for good at once (not followed, not retried): the event ends on webhook-failed.
        receiver.answer(d -> read(d.body()).path("data").path("requestId").asText().equals(refusedOnce)
                ? new Receiver.Answer(308, Map.of("Location", "http://127.0.0.1:1/elsewhere"), 0) : Receiver.Answer.ok());
        try {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() ->
                    CliRun.against(pipeline, "webhooks", "failed", "--request-id", refusedOnce).out().contains("WEBHOOK_REJECTED"));
        } finally {
            receiver.answer(d -> Receiver.Answer.ok());
        }
        CliRun failed = CliRun.against(pipeline, "webhooks", "failed", "--request-id", refusedOnce, "--json");
        JsonNode listed = JSON.readTree(failed.lines().get(0));
        assertThat(listed.path("stage").asText()).isEqualTo("WEBHOOK");
        assertThat(listed.path("originTopic").asText()).isEqualTo("image-ready");
        assertThat(listed.path("message").asText()).contains("308", "not followed");
        assertThat(listed.path("retriable").asBoolean()).isFalse();
        String refusedId = idsReceived(refusedOnce).iterator().next();

        CliRun replay = CliRun.against(pipeline, "webhooks", "replay", "--request-id", refusedOnce);
        assertThat(replay.exitCode()).as(replay.err()).isZero();
        assertThat(replay.out()).contains(refusedOnce + "  sent again image-ready").contains("1 event(s) sent to webhook-redeliver");
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(() -> deliveryLog().stream()
                .anyMatch(d -> d.getRequestId().equals(refusedOnce)));
        assertThat(received(refusedOnce)).hasSize(2);
        assertThat(idsReceived(refusedOnce)).as("the replay carries the refused delivery's webhook-id").containsExactly(refusedId);
    }

    @Test
    void deliveryLatencyAfterImageReady() throws Exception {
        List<String> ids = new ArrayList<>();
        for (String keyword : List.of("Lisbon tram at dusk", "Reykjavik harbour lights", "Marrakech souk at noon", "Kyoto in autumn rain",
                "Santorini at sunrise")) {
            ids.add(publish(keyword, SOURCE));
        }
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                .until(() -> ids.stream().allMatch(id -> !received(id).isEmpty()));
        List<Long> millis = new ArrayList<>();
        for (Receiver.Delivery d : receiver.deliveries) {
            JsonNode body = read(d.body());
            if (ids.contains(body.path("data").path("requestId").asText())) {
                millis.add(d.receivedAtMillis() - Instant.parse(body.path("data").path("createdAt").asText()).toEpochMilli());
            }
        }
        millis.sort(Long::compare);
        System.out.printf("webhook delivery latency after image-ready (its createdAt to the receiver's receipt), %d events: "
                + "min %d ms, median %d ms, max %d ms%n", millis.size(), millis.get(0), millis.get(millis.size() / 2), millis.getLast());
        assertThat(millis).hasSize(ids.size()).allMatch(ms -> ms >= 0 && ms < 5_000);
    }
}
