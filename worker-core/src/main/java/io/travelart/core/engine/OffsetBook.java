package io.travelart.core.engine;

import org.apache.kafka.common.TopicPartition;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The engine's offset bookkeeping: which records of each partition are taken, which are done, and how
 * far each partition may be committed. Records finish in any order; a partition's results are handed
 * out in input order, and only up to its first unfinished record (the contiguous completed mark).
 *
 * <p>A revoked partition's records become stale: finishing one later changes nothing, even if the
 * partition has been assigned again meanwhile. Not thread-safe: the engine's loop thread owns it.
 *
 * @param <R> what a finished record leaves to publish
 */
public final class OffsetBook<R> {

    /** One record taken from a partition; the key to finish it with. */
    public static final class Ticket<R> {
        private final Track<R> track;
        private final long offset;
        private R result;
        private boolean done;

        private Ticket(Track<R> track, long offset) {
            this.track = track;
            this.offset = offset;
        }

        public TopicPartition partition() {
            return track.partition;
        }

        public long offset() {
            return offset;
        }

        /** True once the ticket's partition was revoked or rewound; safe to ask from any thread. */
        public boolean isStale() {
            return track.dropped;
        }
    }

    /** A partition while it is assigned; a new one each time it is assigned again. */
    private static final class Track<R> {
        private final TopicPartition partition;
        private final ArrayDeque<Ticket<R>> tickets = new ArrayDeque<>();
        /** How many of the first tickets were handed out (published in the open transaction). */
        private int handedOut;
        private volatile boolean dropped;

        private Track(TopicPartition partition) {
            this.partition = partition;
        }
    }

    /** Finished records ready to publish, in input order per partition, and the offsets that cover them. */
    public record Ready<R>(List<R> results, Map<TopicPartition, Long> commitOffsets) {
        public boolean isEmpty() {
            return commitOffsets.isEmpty();
        }
    }

    private final Map<TopicPartition, Track<R>> tracks = new LinkedHashMap<>();
    private int size;

    /** Takes a record; offsets of a partition must come in increasing order, as a consumer returns them. */
    public Ticket<R> add(TopicPartition partition, long offset) {
        Track<R> track = tracks.computeIfAbsent(partition, Track::new);
        Ticket<R> last = track.tickets.peekLast();
        if (last != null && offset <= last.offset) {
            throw new IllegalArgumentException(partition + ": offset " + offset + " after " + last.offset);
        }
        Ticket<R> ticket = new Ticket<>(track, offset);
        track.tickets.addLast(ticket);
        size++;
        return ticket;
    }

    /** Whether the ticket's partition is still assigned since the ticket was taken. */
    public boolean isLive(Ticket<R> ticket) {
        return !ticket.track.dropped;
    }

    /** Records the result of a ticket; returns false and changes nothing if the ticket is stale. */
    public boolean finish(Ticket<R> ticket, R result) {
        if (!isLive(ticket)) {
            return false;
        }
        if (ticket.done) {
            throw new IllegalStateException(ticket.partition() + "@" + ticket.offset + " finished twice");
        }
        ticket.result = result;
        ticket.done = true;
        return true;
    }

    /**
     * Hands out what became publishable since the last call: per partition, the finished records after
     * those already handed out, up to the first unfinished one. They stay in the book (and count as
     * uncommitted) until {@link #committed()}.
     */
    public Ready<R> takeReady() {
        List<R> results = new ArrayList<>();
        Map<TopicPartition, Long> offsets = new HashMap<>();
        for (Track<R> track : tracks.values()) {
            int index = 0;
            long next = -1;
            for (Ticket<R> ticket : track.tickets) {
                if (index++ < track.handedOut) {
                    continue;
                }
                if (!ticket.done) {
                    break;
                }
                results.add(ticket.result);
                track.handedOut++;
                next = ticket.offset + 1;
            }
            if (next >= 0) {
                offsets.put(track.partition, next);
            }
        }
        return new Ready<>(results, offsets);
    }

    /** For every partition with records handed out: the offset to commit with them (the last one's, plus one). */
    public Map<TopicPartition, Long> handedOutOffsets() {
        Map<TopicPartition, Long> offsets = new HashMap<>();
        for (Track<R> track : tracks.values()) {
            if (track.handedOut > 0) {
                int index = 0;
                for (Ticket<R> ticket : track.tickets) {
                    if (++index == track.handedOut) {
                        offsets.put(track.partition, ticket.offset + 1);
                        break;
                    }
                }
            }
        }
        return offsets;
    }

    /** Forgets every record handed out: the transaction holding them has committed. */
    public void committed() {
        for (Track<R> track : tracks.values()) {
            for (; track.handedOut > 0; track.handedOut--) {
                track.tickets.removeFirst();
                size--;
            }
        }
    }

    /** Drops the partitions: their unfinished and uncommitted records are abandoned. Returns how many. */
    public int revoke(Collection<TopicPartition> partitions) {
        int dropped = 0;
        for (TopicPartition partition : partitions) {
            Track<R> track = tracks.remove(partition);
            if (track != null) {
                track.dropped = true;
                dropped += track.tickets.size();
                size -= track.tickets.size();
            }
        }
        return dropped;
    }

    /**
     * Drops every partition and returns, for each, the offset of its oldest uncommitted record (handed
     * out or not): where to seek after an aborted transaction so that nothing uncommitted is skipped.
     */
    public Map<TopicPartition, Long> rewind() {
        Map<TopicPartition, Long> restart = new HashMap<>();
        for (Iterator<Track<R>> it = tracks.values().iterator(); it.hasNext(); ) {
            Track<R> track = it.next();
            if (!track.tickets.isEmpty()) {
                restart.put(track.partition, track.tickets.peekFirst().offset);
            }
            size -= track.tickets.size();
            track.dropped = true;
            it.remove();
        }
        return restart;
    }

    /** Records taken and not yet committed, over all partitions. */
    public int size() {
        return size;
    }
}
