package io.travelart.gallery;

import io.travelart.core.config.KafkaConfig;
import io.travelart.core.config.Topics;
import io.travelart.core.results.RequestResult;
import io.travelart.core.results.ResultWatcher;
import io.travelart.core.serde.DecodeException;
import io.travelart.core.serde.EventSerde;
import io.travelart.events.KeywordRequested;
import io.travelart.events.PromptCreated;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * What the gallery reads, committed records only, every partition, no consumer group: the results (image-ready and
 * request-failed) from the beginning, and the steps of requests on their way (keyword-requested and prompt-created)
 * from {@code progressSince} on, so that a start does not read the whole history of requests.
 */
final class GalleryFeed implements AutoCloseable {

    /** One event read: a result, or a step of a request on its way. */
    sealed interface Seen permits Seen.Result, Seen.Asked, Seen.Prompted {
        record Result(RequestResult result) implements Seen {
        }

        record Asked(KeywordRequested request) implements Seen {
        }

        record Prompted(PromptCreated created) implements Seen {
        }
    }

    private final KafkaConsumer<String, byte[]> consumer;
    private final EventSerde serde;
    private final Topics topics;
    private final Consumer<String> undecodable;

    GalleryFeed(KafkaConfig kafka, EventSerde serde, Topics topics, Instant progressSince, Consumer<String> undecodable) {
        this.serde = serde;
        this.topics = topics;
        this.undecodable = undecodable;
        this.consumer = ResultWatcher.committedReader(kafka);
        try {
            List<TopicPartition> results = ResultWatcher.partitions(consumer, topics.imageReady(), topics.requestFailed());
            List<TopicPartition> steps = ResultWatcher.partitions(consumer, topics.keywordRequested(), topics.promptCreated());
            List<TopicPartition> all = new ArrayList<>(results);
            all.addAll(steps);
            consumer.assign(all);
            consumer.seekToBeginning(results);
            Map<TopicPartition, Long> since = new HashMap<>();
            steps.forEach(tp -> since.put(tp, progressSince.toEpochMilli()));
            Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(since, Duration.ofSeconds(15));
            List<TopicPartition> nothingSince = new ArrayList<>();
            for (TopicPartition tp : steps) {
                OffsetAndTimestamp at = found.get(tp);
                if (at == null) {
                    nothingSince.add(tp);
                } else {
                    consumer.seek(tp, at.offset());
                }
            }
            consumer.seekToEnd(nothingSince);
            all.forEach(consumer::position);
        } catch (RuntimeException e) {
            consumer.close(Duration.ZERO);
            throw e;
        }
    }

    List<Seen> poll(Duration timeout) {
        List<Seen> seen = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> record : consumer.poll(timeout)) {
            try {
                String topic = record.topic();
                if (topic.equals(topics.imageReady()) || topic.equals(topics.requestFailed())) {
                    seen.add(new Seen.Result(ResultWatcher.decode(serde, topics, record)));
                } else if (topic.equals(topics.keywordRequested())) {
                    seen.add(new Seen.Asked(serde.deserialize(record.value(), KeywordRequested.class)));
                } else {
                    seen.add(new Seen.Prompted(serde.deserialize(record.value(), PromptCreated.class)));
                }
            } catch (DecodeException e) {
                // Anyone may write keyword-requested: what is not our event is the prompt-worker's to fail, and the page's to skip.
                undecodable.accept(ResultWatcher.where(record) + ": " + e.getMessage());
            }
        }
        return seen;
    }

    /** Makes a {@link #poll} in progress, or the next one, throw {@code WakeupException}; safe from any thread. */
    void wakeup() {
        consumer.wakeup();
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(2));
    }
}
