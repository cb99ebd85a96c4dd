package io.travelart.core.engine;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The engine's offset bookkeeping: per partition, which records are taken, which are answered, and what
 * to commit. Records are answered (their output sent in the open transaction) as soon as they finish, in
 * any order. A partition's committed offset is its first unanswered record; the answered records beyond
 * it go into the commit's metadata ({@link AnsweredOffsets}), so that the next owner of the partition,
 * another instance after a rebalance or this one after an aborted transaction, skips them: each record is
 * answered exactly once in what {@code read_committed} readers see.
 *
 * <p>A revoked partition's records become stale: finishing one later changes nothing, even if the
 * partition has been assigned again meanwhile. Not thread-safe: the engine's loop thread owns it.
 *
 * @param <R> what a finished record leaves to publish
 */
public final class OffsetBook<R> {

    private enum State {
        /** Taken, not finished. */
        TAKEN,
        /** Finished, its result not handed out yet. */
        FINISHED,
        /** Handed out into the open transaction. */
        SENT,
        /** Answered in a committed transaction. */
        ANSWERED
    }

    /** One record taken from a partition; the key to finish it with. */
    public static final class Ticket<R> {
        private final Track<R> track;
        private final long offset;
        private State state;
        private R result;

        private Ticket(Track<R> track, long offset, State state) {
            this.track = track;
            this.offset = offset;
            this.state = state;
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

        /** Whether it was answered before it was taken (the committed metadata says so): nothing to do. */
        public boolean isAnswered() {
            return state == State.ANSWERED;
        }

        private boolean answered() {
            return state == State.SENT || state == State.ANSWERED;
        }
    }

    /** A partition while it is assigned; a new one each time it is assigned again or rewound. */
    private static final class Track<R> {
        private final TopicPartition partition;
        private final ArrayDeque<Ticket<R>> tickets = new ArrayDeque<>();
        /** The committed offset: every record before it is answered, and reading starts here. */
        private long start;
        /** Answered offsets beyond {@link #start}, as last committed. */
        private AnsweredOffsets answered;
        private boolean started;
        private int sent;
        /** What {@link #commitOffsets()} computed, applied by {@link #committed()}. */
        private long pendingStart;
        private AnsweredOffsets pendingAnswered;
        private volatile boolean dropped;

        private Track(TopicPartition partition, long start, boolean started, AnsweredOffsets answered) {
            this.partition = partition;
            this.start = start;
            this.started = started;
            this.answered = answered;
        }
    }

    /** Where a commit leaves a partition: its first unanswered offset and the answered ones beyond it. */
    private record Mark(long base, AnsweredOffsets beyond) {
    }

    private final int maxMetadataChars;
    private final Map<TopicPartition, Track<R>> tracks = new LinkedHashMap<>();
    private int size;
    private long heldBack;

    /** @param maxMetadataChars the broker's {@code offset.metadata.max.bytes}: results wait rather than exceed it */
    public OffsetBook(int maxMetadataChars) {
        this.maxMetadataChars = maxMetadataChars;
    }

    /**
     * A partition assigned, with what its last commit said: reading starts at {@code committed}, and the
     * records in {@code answered} are already answered. Without a commit, reading starts at the first record.
     */
    public void assign(TopicPartition partition, OffsetAndMetadata committed) {
        drop(partition);
        if (committed == null) {
            tracks.put(partition, new Track<>(partition, -1, false, AnsweredOffsets.NONE));
        } else {
            AnsweredOffsets answered = AnsweredOffsets.decode(committed.offset(), committed.metadata()).orElse(AnsweredOffsets.NONE);
            tracks.put(partition, new Track<>(partition, committed.offset(), true, answered));
        }
    }

    /** Whether the partition is assigned (its last commit read), so that its records may be added. */
    public boolean isAssigned(TopicPartition partition) {
        return tracks.containsKey(partition);
    }

    /**
     * Takes a record; offsets of a partition must come in increasing order, as a consumer returns them. A
     * ticket that {@link Ticket#isAnswered() is answered} already needs no work.
     */
    public Ticket<R> add(TopicPartition partition, long offset) {
        Track<R> track = tracks.get(partition);
        if (track == null) {
            throw new IllegalStateException(partition + " is not assigned: what its last commit answered is not known");
        }
        if (!track.started) {
            track.start = offset;
            track.started = true;
        }
        if (offset < track.start) {
            // Behind the committed offset, which answered ranges not yet read can carry past the reading position.
            return new Ticket<>(track, offset, State.ANSWERED);
        }
        Ticket<R> last = track.tickets.peekLast();
        if (last != null && offset <= last.offset) {
            throw new IllegalArgumentException(partition + ": offset " + offset + " after " + last.offset);
        }
        Ticket<R> ticket = new Ticket<>(track, offset, track.answered.contains(offset) ? State.ANSWERED : State.TAKEN);
        track.tickets.addLast(ticket);
        size++;
        return ticket;
    }

    /** Records the result of a ticket; returns false and changes nothing if the ticket is stale. */
    public boolean finish(Ticket<R> ticket, R result) {
        if (ticket.isStale()) {
            return false;
        }
        if (ticket.state != State.TAKEN) {
            throw new IllegalStateException(ticket.partition() + "@" + ticket.offset + " finished twice");
        }
        ticket.result = result;
        ticket.state = State.FINISHED;
        return true;
    }

    /**
     * Hands out every result finished since the last call, in any order, to send in the open transaction.
     * A result whose offset would make its partition's commit metadata longer than allowed waits until
     * earlier records are answered.
     */
    public List<R> takeReady() {
        List<R> results = new ArrayList<>();
        for (Track<R> track : tracks.values()) {
            List<Ticket<R>> finished = new ArrayList<>();
            for (Ticket<R> ticket : track.tickets) {
                if (ticket.state == State.FINISHED) {
                    finished.add(ticket);
                }
            }
            if (finished.isEmpty()) {
                continue;
            }
            finished.forEach(t -> t.state = State.SENT);
            if (fits(track)) {
                finished.forEach(t -> handOut(track, t, results));
                continue;
            }
            // Rare: many scattered answers. Take them one by one, in offset order, while they fit.
            finished.forEach(t -> t.state = State.FINISHED);
            for (Ticket<R> ticket : finished) {
                ticket.state = State.SENT;
                if (fits(track)) {
                    handOut(track, ticket, results);
                } else {
                    ticket.state = State.FINISHED;
                    heldBack++;
                }
            }
        }
        return results;
    }

    private boolean fits(Track<R> track) {
        Mark mark = mark(track);
        return mark.beyond().encodedLength(mark.base()) <= maxMetadataChars;
    }

    private void handOut(Track<R> track, Ticket<R> ticket, List<R> results) {
        results.add(ticket.result);
        ticket.result = null;
        track.sent++;
    }

    /** For every partition with results handed out: the offset and metadata to commit with them. */
    public Map<TopicPartition, OffsetAndMetadata> commitOffsets() {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (Track<R> track : tracks.values()) {
            if (track.sent > 0) {
                Mark mark = mark(track);
                track.pendingStart = mark.base();
                track.pendingAnswered = mark.beyond();
                offsets.put(track.partition, new OffsetAndMetadata(mark.base(), mark.beyond().encode(mark.base())));
            }
        }
        return offsets;
    }

    /** The transaction holding what was handed out has committed, with the offsets {@link #commitOffsets()} gave. */
    public void committed() {
        for (Track<R> track : tracks.values()) {
            if (track.sent == 0) {
                continue;
            }
            for (Ticket<R> ticket : track.tickets) {
                if (ticket.state == State.SENT) {
                    ticket.state = State.ANSWERED;
                }
            }
            track.sent = 0;
            track.start = track.pendingStart;
            track.answered = track.pendingAnswered;
            while (!track.tickets.isEmpty() && track.tickets.peekFirst().offset < track.start) {
                track.tickets.removeFirst();
                size--;
            }
        }
    }

    /** Drops the partitions: their unanswered and uncommitted records are abandoned. Returns how many. */
    public int revoke(Collection<TopicPartition> partitions) {
        int abandoned = 0;
        for (TopicPartition partition : partitions) {
            abandoned += drop(partition);
        }
        return abandoned;
    }

    private int drop(TopicPartition partition) {
        Track<R> track = tracks.remove(partition);
        if (track == null) {
            return 0;
        }
        track.dropped = true;
        size -= track.tickets.size();
        int abandoned = 0;
        for (Ticket<R> ticket : track.tickets) {
            if (ticket.state != State.ANSWERED) {
                abandoned++;
            }
        }
        return abandoned;
    }

    /**
     * After an aborted transaction: drops every record taken and returns, per partition, its committed
     * offset, where to read again. What the last commit answered stays answered.
     */
    public Map<TopicPartition, Long> rewind() {
        Map<TopicPartition, Long> restart = new HashMap<>();
        for (Map.Entry<TopicPartition, Track<R>> entry : tracks.entrySet()) {
            Track<R> old = entry.getValue();
            old.dropped = true;
            size -= old.tickets.size();
            entry.setValue(new Track<>(old.partition, old.start, old.started, old.answered));
            if (old.started) {
                restart.put(old.partition, old.start);
            }
        }
        return restart;
    }

    /** Records taken and not yet behind a committed offset, over all partitions (answered ones included). */
    public int size() {
        return size;
    }

    /** Records taken and not answered yet (taken, finished, or sent in the open transaction). */
    public int unanswered() {
        int count = 0;
        for (Track<R> track : tracks.values()) {
            for (Ticket<R> ticket : track.tickets) {
                if (ticket.state != State.ANSWERED) {
                    count++;
                }
            }
        }
        return count;
    }

    /** Results that waited because the commit metadata would have been too long, since the start. */
    public long heldBack() {
        return heldBack;
    }

    /**
     * Where a commit now would leave the track: ranges of answered offsets, where an answered record also
     * covers the undelivered offsets before it, and an unanswered one after an answered one is joined to it
     * by the offsets in between; then what the last commit answered beyond the records read so far.
     */
    private Mark mark(Track<R> track) {
        AnsweredOffsets.Builder ranges = new AnsweredOffsets.Builder();
        long end = track.start;
        boolean previousAnswered = false;
        for (Ticket<R> ticket : track.tickets) {
            if (ticket.answered()) {
                ranges.add(end, ticket.offset + 1);
                previousAnswered = true;
            } else {
                if (previousAnswered) {
                    ranges.add(end, ticket.offset);
                }
                previousAnswered = false;
            }
            end = ticket.offset + 1;
        }
        for (AnsweredOffsets.Range range : track.answered.ranges()) {
            if (range.to() > end) {
                ranges.add(Math.max(range.from(), end), range.to());
            }
        }
        List<AnsweredOffsets.Range> all = ranges.build().ranges();
        long base = track.start;
        int first = 0;
        if (!all.isEmpty() && all.get(0).from() <= base) {
            base = all.get(0).to();
            first = 1;
        }
        return new Mark(base, new AnsweredOffsets(all.subList(first, all.size())));
    }
}
