package io.travelart.cli.records;

import io.travelart.api.RequestIds;
import io.travelart.core.config.KafkaConfig;
import io.travelart.core.engine.EventHeaders;
import io.travelart.core.serde.EventSerde;
import io.travelart.events.KeywordRequested;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ExecutionException;

/** Publishes keyword-requested events, as an upstream system would; every send is checked. */
public final class RequestPublisher implements AutoCloseable {

    private final KafkaProducer<String, byte[]> producer;
    private final EventSerde serde;
    private final String topic;

    public RequestPublisher(KafkaConfig kafka, EventSerde serde, String topic) {
        this.producer = new KafkaProducer<>(kafka.with(Map.of(
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true",
                ProducerConfig.MAX_BLOCK_MS_CONFIG, "15000")),
                new StringSerializer(), new ByteArraySerializer());
        this.serde = serde;
        this.topic = topic;
    }

    public static KeywordRequested request(String keyword, String style, String locale, String imageSize, String source) {
        return KeywordRequested.newBuilder()
                .setRequestId(RequestIds.next())
                .setKeyword(keyword)
                .setStyle(style)
                .setLocale(locale)
                .setImageSize(imageSize)
                .setSourceSystem(source)
                .setRequestedAt(Instant.now())
                .build();
    }

    /** Publishes and waits for the broker's acknowledgement. */
    public RecordMetadata publish(KeywordRequested request) {
        return send(request.getRequestId(), serde.serialize(topic, request), EventHeaders.forRequest(request));
    }

    /** Publishes bytes as they are, e.g. to show what a bad producer's record becomes. */
    public RecordMetadata send(String key, byte[] value) {
        return send(key, value, new RecordHeaders());
    }

    private RecordMetadata send(String key, byte[] value, Headers headers) {
        try {
            return producer.send(new ProducerRecord<>(topic, null, key, value, headers)).get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("publishing to " + topic + " failed: " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while publishing", e);
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
