package io.travelart.cli.records;

import io.travelart.core.config.KafkaConfig;
import io.travelart.core.serde.DecodeException;
import io.travelart.core.serde.EventSerde;
import io.travelart.events.RequestFailed;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** The committed request-failed events, read from the beginning to the end the topic has now. */
public final class FailedRequests {

    /** What an operator narrows the list by; a null field does not filter. */
    public record Filter(String stage, String code, Instant since, Instant until, String requestId) {
        public static final Filter NONE = new Filter(null, null, null, null, null);

        boolean matches(RequestFailed f) {
            return (stage == null || stage.equalsIgnoreCase(f.getStage()))
                    && (code == null || code.equalsIgnoreCase(f.getErrorCode()))
                    && (since == null || !f.getLastFailureAt().isBefore(since))
                    && (until == null || !f.getLastFailureAt().isAfter(until))
                    && (requestId == null || requestId.equals(f.getRequestId()));
        }
    }

    private FailedRequests() {
    }

    /** In the order each partition holds them, so a request's later failures come after its earlier ones. */
    public static List<RequestFailed> read(KafkaConfig kafka, EventSerde serde, String topic, Filter filter, Consumer<String> undecodable) {
        List<RequestFailed> found = new ArrayList<>();
        CommittedRecords.read(kafka, topic, record -> {
            try {
                RequestFailed failed = serde.deserialize(record.value(), RequestFailed.class);
                if (filter.matches(failed)) {
                    found.add(failed);
                }
            } catch (DecodeException e) {
                undecodable.accept(record.topic() + "-" + record.partition() + "@" + record.offset() + ": " + e.getMessage());
            }
        });
        return found;
    }
}
