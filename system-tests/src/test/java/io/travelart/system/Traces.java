package io.travelart.system;

import io.travelart.cli.records.CommittedRecords;
import io.travelart.core.config.KafkaConfig;
import io.travelart.core.engine.EventHeaders;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/** The W3C trace ids records carry in their {@code traceparent}: a request's trace, from the request to its result. */
final class Traces {

    private Traces() {
    }

    /** Each committed record's trace id, by its key (the request id); the last record of a key wins. */
    static Map<String, String> byKey(KafkaConfig kafka, String topic) {
        Map<String, String> traces = new HashMap<>();
        CommittedRecords.read(kafka, topic, r -> traces.put(new String(r.key(), StandardCharsets.UTF_8),
                EventHeaders.traceId(r.headers().lastHeader(EventHeaders.TRACEPARENT).value()).orElseThrow()));
        return traces;
    }

    /** The committed records of a topic whose key is one of these request ids. */
    static List<ConsumerRecord<byte[], byte[]>> recordsOf(KafkaConfig kafka, String topic, Predicate<String> requestIds) {
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        CommittedRecords.read(kafka, topic, r -> {
            if (requestIds.test(new String(r.key(), StandardCharsets.UTF_8))) {
                records.add(r);
            }
        });
        return records;
    }

    /** The trace id a record carries. */
    static String of(ConsumerRecord<byte[], byte[]> record) {
        return EventHeaders.traceId(record.headers().lastHeader(EventHeaders.TRACEPARENT).value()).orElseThrow();
    }
}
