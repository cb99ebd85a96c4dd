package io.travelart.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.travelart.core.InMemorySchemas;
import io.travelart.core.call.RetryConfig;
import io.travelart.core.call.RetryPolicy;
import io.travelart.core.config.Topics;
import io.travelart.core.engine.Outcome;
import io.travelart.core.failure.ErrorCodes;
import io.travelart.core.failure.Failure;
import io.travelart.core.serde.EventSerde;
import io.travelart.core.time.Time;
import io.travelart.core.worker.CallPool;
import io.travelart.events.ImageReady;
import io.travelart.events.KeywordRequested;
import io.travelart.events.RequestFailed;
import io.travelart.events.WebhookDelivered;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.random.RandomGenerator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The delivery stage against real HTTP receivers that check signatures with the reference library. */
class DeliveryStageTest {

    private static final Instant T0 = Instant.parse("2026-12-05T09:00:00Z");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String secret = Endpoints.newSecret();
    private final List<AutoCloseable> closing = new ArrayList<>();
    private final ExecutorService pool = CallPool.create("webhook-test");
    private final InMemorySchemas schemas = new InMemorySchemas();
    /** While set, asking for a schema by its id fails as a registry that cannot be reached does. */
    private final java.util.concurrent.atomic.AtomicBoolean registryAway = new java.util.concurrent.atomic.AtomicBoolean();
    private final EventSerde serde = new EventSerde(new io.travelart.core.registry.SchemaIds() {
        @Override
        public int register(String subject, org.apache.avro.Schema schema) {
            return schemas.register(subject, schema);
        }

        @Override
        public int lookup(String subject, org.apache.avro.Schema schema) {
            return schemas.lookup(subject, schema);
        }

        @Override
        public org.apache.avro.Schema schemaById(int id) {
            if (registryAway.get()) {
                throw new io.travelart.core.registry.RegistryException("the registry cannot be reached", null);
            }
            return schemas.schemaById(id);
        }
    }, true);
    /** Retries the stages of this test have made. */
    private final AtomicInteger retries = new AtomicInteger();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
        pool.shutdownNow();
    }

    private Receiver receiver() {
        Receiver receiver = new Receiver(secret);
        closing.add(receiver);
        return receiver;
    }

    private Endpoint endpoint(String source, URI url) {
        return new Endpoint(source, url, Base64.getDecoder().decode(secret.substring(Endpoints.SECRET_PREFIX.length())));
    }

    private DeliveryStage stage(Endpoints endpoints, Duration retryFor, Duration timeout, DeliveryStage.Limits limits) {
        var retry = new RetryPolicy(new RetryConfig(Integer.MAX_VALUE, Duration.ofMillis(50), Duration.ofMillis(200), retryFor, 0),
                DeliveryStage.ERRORS, Time.SYSTEM, RandomGenerator.getDefault(), (failure, wait) -> retries.incrementAndGet());
        var http = Sender.client(Duration.ofSeconds(2));
        closing.add(http::shutdownNow);
        return new DeliveryStage(endpoints, new Sender(http, timeout, Time.SYSTEM), retry, pool, serde, Topics.DEFAULT,
                "webhook-redeliver", limits, Time.SYSTEM, new SimpleMeterRegistry());
    }

    private DeliveryStage stage(Endpoints endpoints) {
        return stage(endpoints, Duration.ofSeconds(10), Duration.ofSeconds(5), new DeliveryStage.Limits(8, 8));
    }

    private static KeywordRequested request(String id, String source) {
        return KeywordRequested.newBuilder().setRequestId(id).setKeyword("겨울밤의 파리").setSourceSystem(source).setRequestedAt(T0).build();
    }

    private static ImageReady ready(String id, String source) {
        return ImageReady.newBuilder().setRequestId(id).setRequest(request(id, source)).setPrompt("Paris at night in winter")
                .setImageUrl("https://img.example/" + id + ".png").setContentType("image/png").setSizeBytes(2_400_000L).setSha256("ab")
                .setWidth(1024).setHeight(1024).setPromptModel("gpt-5.4-mini").setImageModel("gpt-image-2.6-flare")
                .setPromptLatencyMs(900L).setImageLatencyMs(9000L).setCreatedAt(T0.plusSeconds(10)).build();
    }

    /** A failure event of a request at a stage, carrying the keyword-requested it failed on (serialized as the pipeline did). */
    private RequestFailed failure(KeywordRequested request, String requestId, String stage, String code, String message, boolean retriable,
                                  int attempts, long offset) {
        return RequestFailed.newBuilder().setRequestId(requestId).setKeyword(request.getKeyword()).setStage(stage).setErrorCode(code)
                .setMessage(message).setRetriable(retriable).setAttempts(attempts).setFirstFailureAt(T0).setLastFailureAt(T0)
                .setOriginTopic("keyword-requested").setOriginPartition(0).setOriginOffset(offset)
                .setOriginalValue(ByteBuffer.wrap(serde.serialize("keyword-requested", request))).setOriginalHeaders(List.of()).build();
    }

    private static <T> T done(CompletableFuture<T> future) throws Exception {
        return future.get(30, TimeUnit.SECONDS);
    }

    @Test
    void anImageReadyArrivesSignedOnceAndIsLogged() throws Exception {
        Receiver receiver = receiver();
        Outcome<WebhookDelivered> outcome = done(stage(Endpoints.of(endpoint("shop", receiver.url()))).process(ready("r1", "shop")));

        assertThat(receiver.deliveries).hasSize(1);
        Receiver.Delivery delivery = receiver.deliveries.peek();
        assertThat(delivery.verified()).as("signature checked by the Standard Webhooks library").isTrue();
        JsonNode body = JSON.readTree(delivery.body());
        assertThat(body.path("type").asText()).isEqualTo("image.ready");
        assertThat(body.path("data").path("imageUrl").asText()).isEqualTo("https://img.example/r1.png");
        assertThat(body.path("data").path("keyword").asText()).isEqualTo("겨울밤의 파리");
        assertThat(outcome).isInstanceOfSatisfying(Outcome.Published.class, p -> {
            WebhookDelivered logged = (WebhookDelivered) p.event();
            assertThat(logged.getWebhookId()).isEqualTo(delivery.webhookId()).startsWith("msg_");
            assertThat(logged.getStatusCode()).isEqualTo(204);
            assertThat(logged.getAttempts()).isEqualTo(1);
            assertThat(logged.getEndpoint()).isEqualTo("http://127.0.0.1:" + receiver.port()).doesNotContain("token");
        });
    }

    @Test
    void theSameEventCarriesTheSameIdEveryTimeAndAnotherEventAnother() throws Exception {
        Receiver receiver = receiver();
        DeliveryStage stage = stage(Endpoints.of(endpoint("shop", receiver.url())));
        done(stage.process(ready("r1", "shop")));
        done(stage.process(ready("r1", "shop")));
        done(stage.process(ready("r2", "shop")));
        List<String> ids = receiver.deliveries.stream().map(Receiver.Delivery::webhookId).toList();
        assertThat(ids.get(0)).isEqualTo(ids.get(1));
        assertThat(ids.get(2)).isNotEqualTo(ids.get(0));
    }

    @Test
    void aRefusalIsTriedAgainAfterTheRetryAfterItAskedFor() throws Exception {
        Receiver receiver = receiver();
        receiver.answer(d -> receiver.deliveries.size() <= 2 ? new Receiver.Answer(503, Map.of("Retry-After", "1"), 0)
                : Receiver.Answer.ok());
        Outcome<WebhookDelivered> outcome = done(stage(Endpoints.of(endpoint("shop", receiver.url()))).process(ready("r1", "shop")));

        assertThat(outcome).isInstanceOfSatisfying(Outcome.Published.class,
                p -> assertThat(((WebhookDelivered) p.event()).getAttempts()).isEqualTo(3));
        List<Receiver.Delivery> got = List.copyOf(receiver.deliveries);
        // The backoff alone would be 50 and 100 ms: each retry came after the second the endpoint asked for.
        assertThat(got.get(1).receivedAtMillis() - got.get(0).receivedAtMillis()).isGreaterThanOrEqualTo(990);
        assertThat(got.get(2).receivedAtMillis() - got.get(1).receivedAtMillis()).isGreaterThanOrEqualTo(990);
        assertThat(got).allMatch(Receiver.Delivery::verified).extracting(Receiver.Delivery::webhookId).containsOnly(got.get(0).webhookId());
    }

    @Test
    void aRedirectIsNotFollowedAndNotTriedAgain() throws Exception {
        Receiver elsewhere = receiver();
        Receiver receiver = receiver();
        receiver.answer(d -> new Receiver.Answer(307, Map.of("Location", elsewhere.url().toString()), 0));
        Outcome<WebhookDelivered> outcome = done(stage(Endpoints.of(endpoint("shop", receiver.url()))).process(ready("r1", "shop")));

        assertThat(outcome).isInstanceOfSatisfying(Outcome.Failed.class, f -> {
            Failure failure = f.failure();
            assertThat(failure.code()).isEqualTo(ErrorCodes.WEBHOOK_REJECTED);
            assertThat(failure.retriable()).isFalse();
            assertThat(failure.message()).contains("307", "not followed");
        });
        assertThat(receiver.deliveries).hasSize(1);
        assertThat(elsewhere.deliveries).isEmpty();
    }

    @Test
    void aReceiverThatDoesNotAnswerTimesOutAndEndsAsAFailureWithinItsBudget() throws Exception {
        Receiver receiver = receiver();
        receiver.answer(d -> new Receiver.Answer(200, Map.of(), 5_000));
        long start = System.nanoTime();
        Outcome<WebhookDelivered> outcome = done(stage(Endpoints.of(endpoint("shop", receiver.url())), Duration.ofSeconds(1),
                Duration.ofMillis(300), new DeliveryStage.Limits(8, 8)).process(ready("r1", "shop")));

        assertThat(outcome).isInstanceOfSatisfying(Outcome.Failed.class, f -> {
            assertThat(f.failure().code()).isEqualTo(ErrorCodes.TIMEOUT);
            assertThat(f.failure().retriable()).isTrue();
            assertThat(f.failure().attempts()).isGreaterThan(1);
        });
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
    }

    @Test
    void aReceiverDownForAWhileGetsTheEventOnceItIsBack() throws Exception {
        Receiver receiver = receiver();
        receiver.stop();
        CompletableFuture<Outcome<WebhookDelivered>> outcome = stage(Endpoints.of(endpoint("shop", receiver.url())))
                .process(ready("r1", "shop"));
        // Down: connections are refused, attempt after attempt; nothing ends.
        await().atMost(Duration.ofSeconds(10)).until(() -> retries.get() >= 3);
        assertThat(outcome).isNotDone();
        receiver.restart();
        assertThat(done(outcome)).isInstanceOfSatisfying(Outcome.Published.class,
                p -> assertThat(((WebhookDelivered) p.event()).getAttempts()).isGreaterThan(1));
        assertThat(receiver.deliveries).hasSize(1).allMatch(Receiver.Delivery::verified);
    }

    @Test
    void anEndpointThatHoldsItsShareDoesNotStopTheOthers() throws Exception {
        Receiver slow = receiver();
        Receiver fast = receiver();
        CountDownLatch release = new CountDownLatch(1);
        slow.answer(d -> {
            try {
                release.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return Receiver.Answer.ok();
        });
        DeliveryStage stage = stage(Endpoints.of(endpoint("slow", slow.url()), endpoint("fast", fast.url())), Duration.ofSeconds(30),
                Duration.ofSeconds(25), new DeliveryStage.Limits(1, 2));
        var first = stage.process(ready("s1", "slow"));
        var second = stage.process(ready("s2", "slow"));
        // Two of slow's events are held (one POSTing, one waiting for its POST slot): the third is not tried.
        Outcome<WebhookDelivered> third = done(stage.process(ready("s3", "slow")));
        assertThat(third).isInstanceOfSatisfying(Outcome.Failed.class, f -> {
            assertThat(f.failure().code()).isEqualTo(ErrorCodes.WEBHOOK_BACKLOG);
            assertThat(f.failure().retriable()).isTrue();
        });
        assertThat(done(stage.process(ready("f1", "fast")))).isInstanceOf(Outcome.Published.class);
        assertThat(first).isNotDone();
        release.countDown();
        assertThat(done(first)).isInstanceOf(Outcome.Published.class);
        assertThat(done(second)).isInstanceOf(Outcome.Published.class);
        assertThat(slow.deliveries).extracting(d -> JSON.readTree(d.body()).path("data").path("requestId").asText())
                .containsExactlyInAnyOrder("s1", "s2");
    }

    @Test
    void anEventOfASourceSystemWithoutAnEndpointIsPassedOver() throws Exception {
        Receiver receiver = receiver();
        assertThat(done(stage(Endpoints.of(endpoint("shop", receiver.url()))).process(ready("r1", "another"))))
                .isInstanceOf(Outcome.Passed.class);
        assertThat(receiver.deliveries).isEmpty();
    }

    @Test
    void aFailureThatNamesNoRequestIsPassedOverEvenWhenItsRecordNamesASourceSystem() throws Exception {
        Receiver receiver = receiver();
        RequestFailed failed = failure(request("not an id", "shop"), null, "PROMPT", ErrorCodes.INVALID_INPUT, "requestId is not a request id",
                false, 1, 5L);
        assertThat(done(stage(Endpoints.of(endpoint("shop", receiver.url()))).process(failed))).isInstanceOf(Outcome.Passed.class);
        assertThat(receiver.deliveries).isEmpty();
    }

    @Test
    void aCancelledRequestsFailureGoesToItsSourceSystemFoundInTheRecordItCarries() throws Exception {
        Receiver receiver = receiver();
        RequestFailed failed = failure(request("r9", "shop"), "r9", "PROMPT", ErrorCodes.CANCELLED, "cancelled by ops", false, 1, 3L);
        Outcome<WebhookDelivered> outcome = done(stage(Endpoints.of(endpoint("shop", receiver.url()))).process(failed));

        assertThat(outcome).isInstanceOf(Outcome.Published.class);
        JsonNode body = JSON.readTree(receiver.deliveries.peek().body());
        assertThat(body.path("type").asText()).isEqualTo("request.failed");
        assertThat(body.path("data").path("state").asText()).isEqualTo("CANCELLED");
        assertThat(body.path("data").path("errorCode").asText()).isEqualTo("CANCELLED");
        assertThat(receiver.deliveries.peek().verified()).isTrue();
    }

    @Test
    void aFailuresSourceSystemIsReadAgainWhileTheRegistryIsAwayNotGivenUp() throws Exception {
        Receiver receiver = receiver();
        RequestFailed failed = failure(request("r7", "shop"), "r7", "IMAGE", ErrorCodes.UPSTREAM_5XX, "503", true, 8, 4L);
        registryAway.set(true);
        CompletableFuture<Outcome<WebhookDelivered>> outcome = stage(Endpoints.of(endpoint("shop", receiver.url()))).process(failed);
        await().atMost(Duration.ofSeconds(10)).until(() -> retries.get() >= 3);
        assertThat(outcome).isNotDone();
        registryAway.set(false);
        assertThat(done(outcome)).isInstanceOf(Outcome.Published.class);
        assertThat(receiver.deliveries).singleElement().satisfies(d -> assertThat(d.body()).contains("\"state\":\"FAILED\""));
    }
}
