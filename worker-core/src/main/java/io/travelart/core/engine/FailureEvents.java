package io.travelart.core.engine;

import io.travelart.core.failure.Failure;

import io.travelart.events.OriginalHeader;
import io.travelart.events.RequestBounds;
import io.travelart.events.RequestFailed;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Builds the {@link RequestFailed} event of a consumed record, carrying its original bytes for replay. The
 * event is bounded whatever the record: an original larger than it carries is cut (and marked
 * {@code originalTruncated}; origin topic, partition and offset find the whole), the message and keyword are
 * cut, and a request id that is not one is left out. So a failure event is always small enough to publish.
 */
public final class FailureEvents {

    public static final int MAX_ORIGINAL_VALUE_BYTES = 64 << 10;
    public static final int MAX_ORIGINAL_KEY_BYTES = 1 << 10;
    /** Header keys and values together. */
    public static final int MAX_ORIGINAL_HEADER_BYTES = 16 << 10;
    public static final int MAX_MESSAGE_CHARS = 2000;
    public static final int MAX_KEYWORD_CHARS = RequestBounds.KEYWORD_MAX;

    private FailureEvents() {
    }

    public static RequestFailed of(ConsumerRecord<byte[], byte[]> origin, String stage, Failure failure,
                                   String requestId, String keyword, Instant firstFailure, Instant lastFailure) {
        boolean[] truncated = {false};
        List<OriginalHeader> headers = new ArrayList<>();
        int headerBytes = 0;
        for (Header header : origin.headers()) {
            int size = header.key().length() + (header.value() == null ? 0 : header.value().length);
            if (headerBytes + size > MAX_ORIGINAL_HEADER_BYTES) {
                truncated[0] = true;
                break;
            }
            headerBytes += size;
            headers.add(new OriginalHeader(header.key(), header.value() == null ? null : ByteBuffer.wrap(header.value())));
        }
        String message = failure.message() == null ? failure.code() : failure.message();
        return RequestFailed.newBuilder()
                .setRequestId(requestId(requestId))
                .setKeyword(cut(keyword, MAX_KEYWORD_CHARS))
                .setStage(stage)
                .setErrorCode(failure.code())
                .setMessage(cut(message, MAX_MESSAGE_CHARS))
                .setRetriable(failure.retriable())
                .setAttempts(failure.attempts())
                .setFirstFailureAt(firstFailure)
                .setLastFailureAt(lastFailure)
                .setOriginTopic(origin.topic())
                .setOriginPartition(origin.partition())
                .setOriginOffset(origin.offset())
                .setOriginalKey(bytes(origin.key(), MAX_ORIGINAL_KEY_BYTES, truncated))
                .setOriginalValue(bytes(origin.value(), MAX_ORIGINAL_VALUE_BYTES, truncated))
                .setOriginalHeaders(headers)
                .setOriginalTruncated(truncated[0])
                .build();
    }

    /** The request id a failure event names: null unless it is a request id by {@link RequestBounds#REQUEST_ID}. */
    public static String requestId(String requestId) {
        return RequestBounds.isRequestId(requestId) ? requestId : null;
    }

    private static ByteBuffer bytes(byte[] value, int max, boolean[] truncated) {
        if (value == null) {
            return null;
        }
        if (value.length <= max) {
            return ByteBuffer.wrap(value);
        }
        truncated[0] = true;
        return ByteBuffer.wrap(Arrays.copyOf(value, max));
    }

    /** The text cut to {@code max} characters (with an ellipsis), never inside a surrogate pair. */
    public static String cut(String text, int max) {
        if (text == null || text.length() <= max) {
            return text;
        }
        int end = Character.isHighSurrogate(text.charAt(max - 1)) ? max - 1 : max;
        return text.substring(0, end) + "…";
    }
}
