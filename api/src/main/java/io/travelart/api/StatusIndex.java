package io.travelart.api;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.travelart.core.config.KafkaConfig;
import io.travelart.core.config.Topics;
import io.travelart.core.metrics.PriceTable;
import io.travelart.core.results.RequestStatus;
import io.travelart.core.serde.DecodeException;
import io.travelart.core.serde.EventSerde;
import io.travelart.core.time.Time;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The API's index of its own clients' recent requests, so that polling a status costs a map lookup, not a read of
 * Kafka: a consumer of its own (no group) follows keyword-requested, prompt-created, image-ready, request-failed and
 * request-cancelled from {@code window} before the API started, and keeps the events of each request whose source
 * system is one of the keys' (failures without their original bytes), the {@code capacity} most recently touched at
 * most. A status is folded from them when asked ({@link RequestStatus#of}). What the index cannot tell is asked of
 * {@code fallback} (the events themselves, read from Kafka): a request it has not seen (older than the window, or
 * forgotten), one in the batch lane (the index does not follow the lane's topics), and every request until the index
 * has read what the topics held when it started.
 */
final class StatusIndex implements Statuses, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(StatusIndex.class);

    private final KafkaConsumer<String, byte[]> consumer;
    private final EventSerde serde;
    private final Topics topics;
    private final PriceTable prices;
    private final Set<String> sources;
    private final Statuses fallback;
    private final Map<String, List<RequestStatus.Event>> requests;
    private final Map<TopicPartition, Long> startEnds;
    private final Thread thread;
    private volatile boolean caughtUp;
    private volatile boolean running = true;

    StatusIndex(KafkaConfig kafka, EventSerde serde, Topics topics, PriceTable prices, Set<String> sources, Duration window,
                int capacity, Statuses fallback, Time time, MeterRegistry registry) {
        this.serde = serde;
        this.topics = topics;
        this.prices = prices;
        this.sources = Set.copyOf(sources);
        this.fallback = fallback;
        this.requests = new LinkedHashMap<>(1024, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, List<RequestStatus.Event>> eldest) {
                return size() > capacity;
            }
        };
        this.consumer = new KafkaConsumer<>(kafka.with(Map.of(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed")), new StringDeserializer(), new ByteArrayDeserializer());
        try {
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : List.of(topics.keywordRequested(), topics.promptCreated(), topics.imageReady(), topics.requestFailed(),
                    topics.requestCancelled())) {
                consumer.partitionsFor(topic, Duration.ofSeconds(15)).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
            }
            consumer.assign(partitions);
            long from = time.instant().minus(window).toEpochMilli();
            Map<TopicPartition, Long> query = new HashMap<>();
            partitions.forEach(tp -> query.put(tp, from));
            Map<TopicPartition, OffsetAndTimestamp> starts = consumer.offsetsForTimes(query, Duration.ofSeconds(15));
            this.startEnds = consumer.endOffsets(partitions, Duration.ofSeconds(15));
            for (TopicPartition tp : partitions) {
                OffsetAndTimestamp start = starts.get(tp);
                consumer.seek(tp, start != null ? start.offset() : startEnds.get(tp));
            }
        } catch (RuntimeException e) {
            consumer.close(Duration.ZERO);
            throw e;
        }
        Gauge.builder("travelart.api.index.requests", this, StatusIndex::size)
                .description("Requests the API's status index holds").register(registry);
        thread = new Thread(this::follow, "api-status-index");
        thread.setDaemon(true);
        thread.start();
    }

    boolean isCaughtUp() {
        return caughtUp;
    }

    private synchronized int size() {
        return requests.size();
    }

    private void follow() {
        try {
            while (running) {
                try {
                    for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                        apply(record);
                    }
                    if (!caughtUp && startEnds.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue())) {
                        caughtUp = true;
                        log.info("status index: caught up, {} request(s)", size());
                    }
                } catch (WakeupException e) {
                    return;
                } catch (KafkaException e) {
                    log.warn("status index: reading failed; statuses come from Kafka meanwhile: {}", e.toString());
                    caughtUp = false;
                }
            }
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private void apply(ConsumerRecord<String, byte[]> record) {
        String id = record.key();
        if (id == null) {
            return;
        }
        Instant at = Instant.ofEpochMilli(record.timestamp());
        String topic = record.topic();
        if (record.value() == null && !topic.equals(topics.requestCancelled())) {
            return;
        }
        try {
            switch (RequestStatus.decode(topics, serde, topic, record.value(), at).orElse(null)) {
                case RequestStatus.Event.Requested e -> addIfOurs(id, e.event().getSourceSystem(), e);
                case RequestStatus.Event.Prompted e -> addIfOurs(id, e.event().getRequest().getSourceSystem(), e);
                case RequestStatus.Event.Ready e -> addIfOurs(id, e.event().getRequest().getSourceSystem(), e);
                case RequestStatus.Event.Failed e -> {
                    // What the status shows of a failure; not the original record, up to 64 KiB.
                    e.event().setOriginalKey(null);
                    e.event().setOriginalValue(null);
                    e.event().setOriginalHeaders(List.of());
                    addIfKnown(id, e);
                }
                case RequestStatus.Event.CancelAsked e -> addIfKnown(id, e);
                case null, default -> {
                    // not a topic of a request's events
                }
            }
        } catch (DecodeException | io.travelart.core.registry.RegistryException e) {
            // Not one of our events, or its schema cannot be looked up now: a status asked for it comes from Kafka.
            synchronized (this) {
                requests.remove(id);
            }
        }
    }

    private synchronized void addIfOurs(String id, String source, RequestStatus.Event event) {
        if (source != null && sources.contains(source)) {
            requests.computeIfAbsent(id, k -> new ArrayList<>(4)).add(event);
        }
    }

    private synchronized void addIfKnown(String id, RequestStatus.Event event) {
        List<RequestStatus.Event> events = requests.get(id);
        if (events != null) {
            events.add(event);
        }
    }

    @Override
    public Optional<RequestStatus> find(String requestId) {
        if (caughtUp) {
            Optional<RequestStatus> status;
            synchronized (this) {
                List<RequestStatus.Event> events = requests.get(requestId);
                status = events == null ? Optional.empty() : RequestStatus.of(requestId, prices, events);
            }
            if (status.isPresent() && status.get().state() != RequestStatus.State.WAITING_FOR_BATCH
                    && status.get().state() != RequestStatus.State.IN_BATCH) {
                return status;
            }
        }
        return fallback.find(requestId);
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(Duration.ofSeconds(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
