package io.travelart.webhook;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.travelart.core.call.RetryPolicy;
import io.travelart.core.config.Topics;
import io.travelart.core.engine.Outcome;
import io.travelart.core.engine.Stage;
import io.travelart.core.failure.CallFailedException;
import io.travelart.core.failure.ErrorClassifier;
import io.travelart.core.failure.ErrorCodes;
import io.travelart.core.failure.Failure;
import io.travelart.core.failure.StageNames;
import io.travelart.core.registry.RegistryException;
import io.travelart.core.serde.DecodeException;
import io.travelart.core.serde.EventSerde;
import io.travelart.core.time.Time;
import io.travelart.events.ImageReady;
import io.travelart.events.KeywordRequested;
import io.travelart.events.PromptCreated;
import io.travelart.events.RequestBounds;
import io.travelart.events.RequestFailed;
import io.travelart.events.WebhookDelivered;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The third stage: delivers image-ready and request-failed events as signed webhooks to the endpoint of each event's
 * source system. Its call is the delivery, retried with backoff (honouring {@code Retry-After}) until the endpoint
 * acknowledges or the retry budget runs out; an acknowledged event is logged on webhook-delivered, one that is not on
 * webhook-failed, and an event of a source system without an endpoint is passed over. On the stage engine, so it
 * has what the other stages have: calls in flight bounded, results committed with their offsets (a record is
 * delivered at least once; receivers de-duplicate on {@code webhook-id}), draining, lag and metrics.
 *
 * <p>One endpoint cannot stop delivery to the others: it gets at most {@code maxConcurrent} POSTs at once, and at most
 * {@code maxHeld} of its events wait in the stage (delivering, retrying, waiting for a POST slot). Beyond that, while
 * it does not keep up, its events end at once as {@code WEBHOOK_BACKLOG} on webhook-failed, for replay.
 */
public final class DeliveryStage implements Stage<SpecificRecord, WebhookDelivered> {

    private static final Logger log = LoggerFactory.getLogger(DeliveryStage.class);

    /** On a record of webhook-redeliver: the topic its event was first published to, which says its type. */
    public static final String ORIGIN_TOPIC_HEADER = "travelart-origin-topic";
    public static final String DELIVERY_TIMER = "travelart.webhook.delivery";

    /**
     * @param maxConcurrent POSTs to one endpoint at once
     * @param maxHeld       events of one endpoint in the stage at once
     */
    public record Limits(int maxConcurrent, int maxHeld) {
    }

    private final Endpoints endpoints;
    private final Sender sender;
    private final RetryPolicy retry;
    private final ExecutorService pool;
    private final EventSerde serde;
    private final Topics topics;
    private final String redeliverTopic;
    private final Limits limits;
    private final Time time;
    private final MeterRegistry registry;
    private final Map<String, Lane> lanes = new ConcurrentHashMap<>();

    /** One endpoint's share of the stage. */
    private static final class Lane {
        final Semaphore posts;
        final AtomicInteger held = new AtomicInteger();

        Lane(int maxConcurrent) {
            posts = new Semaphore(maxConcurrent);
        }
    }

    public DeliveryStage(Endpoints endpoints, Sender sender, RetryPolicy retry, ExecutorService pool, EventSerde serde, Topics topics,
                         String redeliverTopic, Limits limits, Time time, MeterRegistry registry) {
        this.endpoints = endpoints;
        this.sender = sender;
        this.retry = retry;
        this.pool = pool;
        this.serde = serde;
        this.topics = topics;
        this.redeliverTopic = redeliverTopic;
        this.limits = limits;
        this.time = time;
        this.registry = registry;
        for (Endpoint endpoint : endpoints.all()) {
            lanes.put(endpoint.sourceSystem(), new Lane(limits.maxConcurrent()));
        }
    }

    @Override
    public String name() {
        return StageNames.WEBHOOK;
    }

    @Override
    public Class<SpecificRecord> inputType() {
        return SpecificRecord.class;
    }

    /** image-ready as {@link ImageReady}, request-failed as {@link RequestFailed}; a redelivery as its origin topic says. */
    @Override
    public SpecificRecord decode(EventSerde serde, ConsumerRecord<byte[], byte[]> record) {
        String topic = record.topic();
        if (topic.equals(redeliverTopic)) {
            Header origin = record.headers().lastHeader(ORIGIN_TOPIC_HEADER);
            if (origin == null || origin.value() == null) {
                throw new DecodeException("a record of " + redeliverTopic + " without its " + ORIGIN_TOPIC_HEADER + " header");
            }
            topic = new String(origin.value(), StandardCharsets.UTF_8);
        }
        if (topic.equals(topics.imageReady())) {
            return serde.deserialize(record.value(), ImageReady.class);
        }
        if (topic.equals(topics.requestFailed())) {
            return serde.deserialize(record.value(), RequestFailed.class);
        }
        throw new DecodeException("an event of " + RequestBounds.shown(topic) + ", which the webhook stage does not deliver");
    }

    @Override
    public String requestId(SpecificRecord input) {
        return switch (input) {
            case ImageReady ready -> ready.getRequestId();
            case RequestFailed failed -> failed.getRequestId();
            default -> null;
        };
    }

    @Override
    public String keyword(SpecificRecord input) {
        return switch (input) {
            case ImageReady ready -> ready.getRequest().getKeyword();
            case RequestFailed failed -> failed.getKeyword();
            default -> null;
        };
    }

    /**
     * What the failures of a delivery mean: the endpoint's ({@link Sender#ERRORS}), or the schema registry away while the
     * source system of a failure is read from the record it carries (retried like a broken connection).
     */
    public static final ErrorClassifier ERRORS = new ErrorClassifier() {
        @Override
        public Failure classify(Throwable error) {
            return error instanceof RegistryException e
                    ? Failure.retriable(ErrorCodes.NETWORK, "the schema registry does not answer: " + e.getMessage())
                    : Sender.ERRORS.classify(error);
        }

        @Override
        public Optional<Duration> retryAfter(Throwable error) {
            return Sender.ERRORS.retryAfter(error);
        }
    };

    /**
     * On the loop thread, in the order events come: the message and the endpoint's share (so that an endpoint's first
     * events are the ones it holds); the delivery on a call thread. Only when a failure's source system cannot be read
     * because the registry does not answer is that read again on a call thread, within the retry budget.
     */
    @Override
    public CompletableFuture<Outcome<WebhookDelivered>> process(SpecificRecord input) {
        Optional<Message> message;
        try {
            message = message(input);
        } catch (RegistryException e) {
            return CompletableFuture.supplyAsync(() -> retry.call(() -> message(input)), pool).thenCompose(this::send)
                    .exceptionally(error -> switch (error instanceof CompletionException c ? c.getCause() : error) {
                        case CallFailedException failed -> Outcome.failed(failed.failure());
                        case RuntimeException other -> throw other;
                        default -> throw new CompletionException(error);
                    });
        }
        return send(message);
    }

    /** The event as a webhook; empty when it names no request, or its source system cannot be told. */
    private Optional<Message> message(SpecificRecord input) {
        return switch (input) {
            case ImageReady ready -> Optional.of(Message.of(ready));
            // A record that named no request (unreadable, or an id that is not one): nobody to tell of it.
            case RequestFailed failed when failed.getRequestId() == null -> Optional.empty();
            case RequestFailed failed -> requestOf(failed).map(request -> Message.of(failed, request.getSourceSystem(), request.getKeyword()));
            default -> throw new IllegalArgumentException("not an event the webhook stage delivers: " + input.getClass());
        };
    }

    /** Passed over without an endpoint, refused beyond the endpoint's share, else delivered on a call thread. */
    private CompletableFuture<Outcome<WebhookDelivered>> send(Optional<Message> message) {
        Optional<Endpoint> endpoint = message.flatMap(m -> endpoints.forSource(m.sourceSystem()));
        if (endpoint.isEmpty()) {
            return CompletableFuture.completedFuture(Outcome.passed("no webhook endpoint for its source system"));
        }
        Lane lane = lanes.get(endpoint.get().sourceSystem());
        if (lane.held.incrementAndGet() > limits.maxHeld()) {
            lane.held.decrementAndGet();
            return CompletableFuture.completedFuture(Outcome.failed(Failure.retriable(ErrorCodes.WEBHOOK_BACKLOG, endpoint.get()
                    + " already has " + limits.maxHeld() + " events waiting for it (TRAVELART_WEBHOOK_MAX_HELD_PER_ENDPOINT): not tried; "
                    + "replay it once the endpoint keeps up")));
        }
        try {
            return CompletableFuture.supplyAsync(() -> deliver(endpoint.get(), lane, message.get()), pool)
                    .whenComplete((outcome, error) -> lane.held.decrementAndGet());
        } catch (RuntimeException e) {
            lane.held.decrementAndGet();
            throw e;
        }
    }

    private Outcome<WebhookDelivered> deliver(Endpoint endpoint, Lane lane, Message message) {
        AtomicInteger attempts = new AtomicInteger();
        try {
            int status = retry.call(() -> {
                try {
                    lane.posts.acquire();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt(); // so that the retry policy stops too, instead of waiting to retry
                    throw e;
                }
                try {
                    attempts.incrementAndGet();
                    return sender.post(endpoint, message);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw e;
                } finally {
                    lane.posts.release();
                }
            });
            Instant now = time.instant();
            timer(message.type(), "delivered").record(Duration.between(message.eventAt(), now));
            return Outcome.published(WebhookDelivered.newBuilder()
                    .setRequestId(message.requestId())
                    .setWebhookId(message.webhookId())
                    .setEventType(message.type())
                    .setSourceSystem(message.sourceSystem())
                    .setEndpoint(endpoint.origin())
                    .setStatusCode(status)
                    .setAttempts(attempts.get())
                    .setEventAt(message.eventAt())
                    .setDeliveredAt(now)
                    .build());
        } catch (CallFailedException e) {
            timer(message.type(), "failed").record(Duration.between(message.eventAt(), time.instant()));
            Failure failure = e.failure();
            log.warn("webhook {} ({}) to {} not delivered after {} attempts: {} {}", message.webhookId(), message.type(), endpoint,
                    failure.attempts(), failure.code(), failure.message());
            return Outcome.failed(failure);
        }
    }

    private Timer timer(String type, String outcome) {
        return Timer.builder(DELIVERY_TIMER)
                .description("From an event's own time to its endpoint's acknowledgement (delivered) or to giving up (failed)")
                .tags("type", type, "outcome", outcome).publishPercentileHistogram().register(registry);
    }

    /**
     * The request a failure event is about, from the record it carries: a keyword-requested, or a prompt-created (the
     * image stage's input, and the batch lane's). Empty when it carries none that can be read: nobody to tell.
     */
    private Optional<KeywordRequested> requestOf(RequestFailed failed) {
        if (failed.getOriginalValue() == null || failed.getOriginalTruncated()) {
            return Optional.empty();
        }
        byte[] original = new byte[failed.getOriginalValue().remaining()];
        failed.getOriginalValue().duplicate().get(original);
        try {
            return Optional.of(failed.getOriginTopic().equals(topics.keywordRequested())
                    ? serde.deserialize(original, KeywordRequested.class)
                    : serde.deserialize(original, PromptCreated.class).getRequest());
        } catch (DecodeException e) {
            return Optional.empty();
        }
    }
}
