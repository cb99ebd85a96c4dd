package io.travelart.core.engine;

import io.travelart.core.failure.Failure;

import io.travelart.events.OriginalHeader;
import io.travelart.events.RequestFailed;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Builds the {@link RequestFailed} event of a consumed record, carrying its original bytes for replay. */
public final class FailureEvents {

    private FailureEvents() {
    }

    public static RequestFailed of(ConsumerRecord<byte[], byte[]> origin, String stage, Failure failure,
                                   String requestId, String keyword, Instant firstFailure, Instant lastFailure) {
        List<OriginalHeader> headers = new ArrayList<>();
        for (Header header : origin.headers()) {
            headers.add(new OriginalHeader(header.key(), header.value() == null ? null : ByteBuffer.wrap(header.value())));
        }
        return RequestFailed.newBuilder()
                .setRequestId(requestId)
                .setKeyword(keyword)
                .setStage(stage)
                .setErrorCode(failure.code())
                .setMessage(failure.message() == null ? failure.code() : failure.message())
                .setRetriable(failure.retriable())
                .setAttempts(failure.attempts())
                .setFirstFailureAt(firstFailure)
                .setLastFailureAt(lastFailure)
                .setOriginTopic(origin.topic())
                .setOriginPartition(origin.partition())
                .setOriginOffset(origin.offset())
                .setOriginalKey(origin.key() == null ? null : ByteBuffer.wrap(origin.key()))
                .setOriginalValue(origin.value() == null ? null : ByteBuffer.wrap(origin.value()))
                .setOriginalHeaders(headers)
                .build();
    }
}
