package io.travelart.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.travelart.core.config.KafkaConfig;
import io.travelart.core.engine.EventHeaders;
import io.travelart.core.json.Json;
import io.travelart.core.kafka.TopicFollower;
import io.travelart.core.serde.EventSerde;
import io.travelart.core.time.Time;
import io.travelart.events.KeywordRequested;
import io.travelart.events.RequestCancelled;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Publishes the requests the API takes, exactly once per idempotency key. Each request goes out in a Kafka transaction
 * of the API instance's own, together with its idempotency record (on a compacted topic, keyed by the SHA-256 of the
 * source system and the client's key, holding the request id and the SHA-256 of the body); a retry with the same key
 * and body is answered with the request id already given, and nothing is published again; the same key with another
 * body is refused. Every instance reads the idempotency topic to its end at start and then follows it, so a retry
 * that reaches another instance is known there too once that instance has read it: two instances that take the same
 * key within the same few milliseconds can both publish (route by {@code Idempotency-Key} to rule that out). One writer
 * thread commits: submissions that arrive during a commit go together in the next transaction.
 */
final class Intake implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Intake.class);
    private static final ObjectMapper JSON = Json.mapper();

    /** What a submission came to. */
    sealed interface Outcome {
        /** Published now. */
        record Created(String requestId) implements Outcome {
        }

        /** The same key and body came before: that request's id, nothing published. */
        record Repeated(String requestId) implements Outcome {
        }

        /** The same key came before with another body. */
        record Conflict(String requestId) implements Outcome {
        }
    }

    private record Entry(String requestId, String bodySha256) {
    }

    private final KafkaProducer<String, byte[]> producer;
    private final TopicFollower follower;
    private final EventSerde serde;
    private final String requestsTopic;
    private final String keysTopic;
    private final String cancelsTopic;
    /**
     * The idempotency keys known, oldest first, {@link #MOST_KEYS} at most (about 400 bytes each): past it the oldest are
     * forgotten, and a retry under a forgotten key would be published again.
     */
    private final Map<String, Entry> known = java.util.Collections.synchronizedMap(new java.util.LinkedHashMap<>(1024, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Intake.Entry> eldest) {
            return size() > MOST_KEYS;
        }
    });
    static final int MOST_KEYS = 200_000;
    private final Thread writer;
    private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final Map<String, InFlight> inFlight = new java.util.HashMap<>();
    private volatile boolean running = true;
    private static final int MOST_PER_TRANSACTION = 500;
    private static final Duration WRITE_WITHIN = Duration.ofSeconds(60);

    /**
     * @param transactionalId this instance's ({@code travelart-api-<instance>})
     * @param keysTopic       the compacted idempotency topic, which must exist
     */
    Intake(KafkaConfig kafka, EventSerde serde, String requestsTopic, String keysTopic, String cancelsTopic, String transactionalId,
           Duration timeout, Time time) {
        this.serde = serde;
        this.requestsTopic = requestsTopic;
        this.keysTopic = keysTopic;
        this.cancelsTopic = cancelsTopic;
        this.follower = TopicFollower.start(kafka, keysTopic, "api-idempotency-reader", timeout, time, this::apply, () -> { });
        this.producer = new KafkaProducer<>(kafka.with(Map.of(
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId,
                ProducerConfig.MAX_BLOCK_MS_CONFIG, Long.toString(timeout.toMillis()),
                ProducerConfig.LINGER_MS_CONFIG, "0")),
                new StringSerializer(), new ByteArraySerializer());
        try {
            producer.initTransactions();
        } catch (RuntimeException e) {
            producer.close(Duration.ZERO);
            follower.close();
            throw e;
        }
        log.info("{}: {} idempotency keys known", keysTopic, known.size());
        writer = new Thread(this::write, "api-writer");
        writer.setDaemon(true);
        writer.start();
    }

    private void apply(ConsumerRecord<String, byte[]> record) {
        if (record.key() == null) {
            return;
        }
        if (record.value() == null) {
            known.remove(record.key());
            return;
        }
        try {
            JsonNode node = JSON.readTree(record.value());
            known.put(record.key(), new Entry(node.path("requestId").asText(), node.path("bodySha256").asText()));
        } catch (IOException e) {
            log.warn("{}-{}@{} is not an idempotency record; passed over", record.topic(), record.partition(), record.offset());
        }
    }

    /** Records to write in one transaction, and who waits for them. */
    private record Pending(List<ProducerRecord<String, byte[]>> records, CompletableFuture<Void> written) {
    }

    /** A key whose request is being written: a retry that comes meanwhile waits for it instead of writing again. */
    private record InFlight(String requestId, String bodySha256, CompletableFuture<Void> written) {
    }

    /**
     * Publishes a request, or answers with the one published before under the same key. Submissions that arrive while a
     * transaction is being committed go together in the next one (group commit), so the callers of many connections
     * share a commit instead of queueing for one each.
     *
     * @param idempotencyKey the client's {@code Idempotency-Key}, or null
     */
    Outcome submit(KeywordRequested request, String idempotencyKey, byte[] body) {
        String slot = idempotencyKey == null ? null : ApiKeys.hash(request.getSourceSystem() + "\n" + idempotencyKey);
        String bodySha = idempotencyKey == null ? null : ApiKeys.hash(new String(body, StandardCharsets.UTF_8));
        String id = request.getRequestId();
        List<ProducerRecord<String, byte[]>> records = new ArrayList<>();
        records.add(new ProducerRecord<>(requestsTopic, null, id, serde.serialize(requestsTopic, request),
                EventHeaders.forRequest(request)));
        if (slot != null) {
            try {
                records.add(new ProducerRecord<>(keysTopic, slot, JSON.writeValueAsBytes(Map.of("requestId", id, "bodySha256", bodySha,
                        "at", request.getRequestedAt().toString()))));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        Pending pending = new Pending(records, new CompletableFuture<>());
        InFlight other = null;
        synchronized (this) {
            if (slot != null) {
                Entry earlier = known.get(slot);
                if (earlier != null) {
                    return earlier.bodySha256().equals(bodySha) ? new Outcome.Repeated(earlier.requestId())
                            : new Outcome.Conflict(earlier.requestId());
                }
                other = inFlight.get(slot);
                if (other == null) {
                    inFlight.put(slot, new InFlight(id, bodySha, pending.written()));
                }
            }
            if (other == null) {
                queue.add(pending);
            }
        }
        if (other != null) {
            if (!other.bodySha256().equals(bodySha)) {
                return new Outcome.Conflict(other.requestId());
            }
            await(other.written());
            return new Outcome.Repeated(other.requestId());
        }
        try {
            await(pending.written());
            if (slot != null) {
                known.put(slot, new Entry(id, bodySha));
            }
        } finally {
            if (slot != null) {
                synchronized (this) {
                    inFlight.remove(slot);
                }
            }
        }
        return new Outcome.Created(id);
    }

    /** Why the idempotency keys may be behind their topic, while they are. */
    Optional<String> problem() {
        return follower.problem();
    }

    /** Records a cancel on request-cancelled (in a transaction, as everything this producer writes). */
    void cancel(RequestCancelled cancel) {
        Pending pending = new Pending(List.of(new ProducerRecord<>(cancelsTopic, cancel.getRequestId(),
                serde.serialize(cancelsTopic, cancel))), new CompletableFuture<>());
        queue.add(pending);
        await(pending.written());
    }

    private static void await(CompletableFuture<Void> written) {
        try {
            written.get(WRITE_WITHIN.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException runtime ? runtime : new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("the request was not written within " + WRITE_WITHIN, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** The writer's loop: whatever waits goes in one transaction, up to {@link #MOST_PER_TRANSACTION} submissions. */
    private void write() {
        List<Pending> group = new ArrayList<>();
        while (running) {
            Pending first;
            try {
                first = queue.poll(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                break;
            }
            if (first == null) {
                continue;
            }
            group.clear();
            group.add(first);
            queue.drainTo(group, MOST_PER_TRANSACTION - 1);
            try {
                producer.beginTransaction();
                for (Pending p : group) {
                    p.records().forEach(producer::send);
                }
                producer.commitTransaction();
                group.forEach(p -> p.written().complete(null));
            } catch (KafkaException e) {
                log.warn("writing {} submission(s) failed: {}", group.size(), e.toString());
                try {
                    producer.abortTransaction();
                } catch (KafkaException alsoFailed) {
                    e.addSuppressed(alsoFailed);
                }
                group.forEach(p -> p.written().completeExceptionally(e));
            }
        }
        IllegalStateException closing = new IllegalStateException("the API is stopping");
        for (Pending p; (p = queue.poll()) != null; ) {
            p.written().completeExceptionally(closing);
        }
    }

    @Override
    public void close() {
        running = false;
        try {
            writer.join(Duration.ofSeconds(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        follower.close();
        producer.close(Duration.ofSeconds(5));
    }
}
