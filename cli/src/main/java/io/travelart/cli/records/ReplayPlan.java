package io.travelart.cli.records;

import io.travelart.core.engine.EventHeaders;
import io.travelart.events.OriginalHeader;
import io.travelart.core.failure.ErrorCodes;
import io.travelart.events.RequestFailed;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which failed requests a replay republishes, and why it leaves the others. Only a request's latest
 * failure counts: after a replay it may have failed again at a later stage, and replaying its older
 * failure would redo work that already succeeded.
 */
public final class ReplayPlan {

    public enum Verdict {
        /** Republish its original record. */
        REPLAY,
        /** It has meanwhile reached image-ready: replaying would only pay for work already done. */
        ALREADY_READY,
        /** Replayed after this failure already, and not answered yet: a second copy would end as a second final event. */
        PENDING,
        /** Its failure is not retriable (a bad input, a refusal): the same record would fail the same way. */
        PERMANENT,
        /** Someone cancelled it ({@code CANCELLED}): replayed only when asked, and then its cancel is withdrawn first. */
        CANCELLED,
        /** Replayed as often as allowed already. */
        AT_MAXIMUM,
        /** Beyond {@code --limit}: left for another run. */
        OVER_LIMIT,
        /** Its failure event holds only part of the record (it was too large to carry whole): nothing whole to republish. */
        TRUNCATED,
        /**
         * Its origin topic is not one the stages read: whoever could write that failure event could otherwise have
         * replay write anything anywhere with the operator's credentials.
         */
        FOREIGN_TOPIC
    }

    /** One failed request and what the replay does with it; {@code replays} is how often it was replayed before. */
    public record Entry(RequestFailed failure, Verdict verdict, int replays) {
    }

    /**
     * A republished record, recognised by its key and value: a replay republishes them unchanged, so they name
     * the failed record it came from, even one that had no request id.
     */
    public record Republished(ByteBuffer key, ByteBuffer value) {
        public static Republished of(RequestFailed f) {
            return new Republished(f.getOriginalKey() == null ? null : f.getOriginalKey().duplicate(),
                    f.getOriginalValue() == null ? null : f.getOriginalValue().duplicate());
        }

        public static Republished of(byte[] key, byte[] value) {
            return new Republished(key == null ? null : ByteBuffer.wrap(key), value == null ? null : ByteBuffer.wrap(value));
        }
    }

    private ReplayPlan() {
    }

    /**
     * @param failures         committed failures, in the order their partitions hold them
     * @param filter           what the operator selected; applied to each request's latest failure
     * @param ready            request ids that have an image-ready event
     * @param replayed         the highest replay count found on each republished record in the origin topics
     * @param includePermanent replay failures that are not retriable too
     * @param maxReplays       a request replayed this often is refused
     * @param limit            at most this many are replayed
     * @param inputTopics      the topics the stages read, the only ones a replay writes to
     */
    public static List<Entry> of(List<RequestFailed> failures, FailedRequests.Filter filter, Set<String> ready,
                          Map<Republished, Integer> replayed, boolean includePermanent, int maxReplays, int limit,
                          Set<String> inputTopics) {
        return of(failures, filter, ready, replayed, includePermanent, false, maxReplays, limit, inputTopics);
    }

    /** @param includeCancelled replay cancelled requests too (whatever {@code includePermanent} says) */
    public static List<Entry> of(List<RequestFailed> failures, FailedRequests.Filter filter, Set<String> ready,
                          Map<Republished, Integer> replayed, boolean includePermanent, boolean includeCancelled, int maxReplays,
                          int limit, Set<String> inputTopics) {
        Map<String, RequestFailed> latest = new LinkedHashMap<>();
        for (RequestFailed f : failures) {
            latest.put(identity(f), f);
        }
        List<Entry> plan = new ArrayList<>();
        int replaying = 0;
        for (RequestFailed f : latest.values()) {
            if (!filter.matches(f)) {
                continue;
            }
            int replays = replays(f);
            Verdict verdict;
            if (!inputTopics.contains(f.getOriginTopic())) {
                verdict = Verdict.FOREIGN_TOPIC;
            } else if (f.getOriginalTruncated()) {
                verdict = Verdict.TRUNCATED;
            } else if (f.getRequestId() != null && ready.contains(f.getRequestId())) {
                verdict = Verdict.ALREADY_READY;
            } else if (replayed.getOrDefault(Republished.of(f), 0) > replays) {
                verdict = Verdict.PENDING;
            } else if (ErrorCodes.CANCELLED.equals(f.getErrorCode()) && !includeCancelled) {
                verdict = Verdict.CANCELLED;
            } else if (!f.getRetriable() && !includePermanent && !ErrorCodes.CANCELLED.equals(f.getErrorCode())) {
                verdict = Verdict.PERMANENT;
            } else if (replays >= maxReplays) {
                verdict = Verdict.AT_MAXIMUM;
            } else if (replaying >= limit) {
                verdict = Verdict.OVER_LIMIT;
            } else {
                verdict = Verdict.REPLAY;
                replaying++;
            }
            plan.add(new Entry(f, verdict, replays));
        }
        return plan;
    }

    /** A record that could not even be decoded has no request id; its place in its topic names it. */
    private static String identity(RequestFailed f) {
        return f.getRequestId() != null ? f.getRequestId()
                : f.getOriginTopic() + "-" + f.getOriginPartition() + "@" + f.getOriginOffset();
    }

    public static int replays(RequestFailed f) {
        for (OriginalHeader h : f.getOriginalHeaders()) {
            if (EventHeaders.REPLAY_COUNT.equals(h.getKey())) {
                return EventHeaders.replayCount(bytes(h.getValue()));
            }
        }
        return 0;
    }

    public static byte[] bytes(ByteBuffer buffer) {
        if (buffer == null) {
            return null;
        }
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }
}
