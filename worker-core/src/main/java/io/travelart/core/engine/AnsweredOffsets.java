package io.travelart.core.engine;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * The offsets of a partition answered beyond its committed offset, as ranges, and their form in a
 * commit's metadata: {@code ta1:} then, in unpadded URL-safe Base64, pairs of unsigned varints (the gap
 * since the end of the previous range, starting from the committed offset, then the range's length).
 * Answers come back roughly in offset order, so most answered offsets fall into a few long ranges: 64
 * calls in flight take well under 400 characters, far within the broker's {@code offset.metadata.max.bytes}
 * (4096 by default).
 *
 * <p>Offsets between two delivered records (transaction markers, aborted records) are never delivered to a
 * {@code read_committed} reader, so the book may count them as answered to join ranges.
 */
public final class AnsweredOffsets {

    static final String PREFIX = "ta1:";
    public static final AnsweredOffsets NONE = new AnsweredOffsets(List.of());

    /** A half-open range of offsets, {@code [from, to)}. */
    public record Range(long from, long to) {
        public Range {
            if (to <= from) {
                throw new IllegalArgumentException("empty range " + from + ".." + to);
            }
        }

        boolean contains(long offset) {
            return offset >= from && offset < to;
        }
    }

    private final List<Range> ranges;

    /** Sorted, disjoint and non-adjacent ranges. */
    AnsweredOffsets(List<Range> ranges) {
        this.ranges = List.copyOf(ranges);
    }

    public List<Range> ranges() {
        return ranges;
    }

    public boolean isEmpty() {
        return ranges.isEmpty();
    }

    public boolean contains(long offset) {
        for (Range range : ranges) {
            if (range.contains(offset)) {
                return true;
            }
            if (range.from() > offset) {
                return false;
            }
        }
        return false;
    }

    /** The metadata to commit with {@code base}; every range must lie beyond it. Empty when nothing is answered beyond it. */
    public String encode(long base) {
        if (ranges.isEmpty()) {
            return "";
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        long cursor = base;
        for (Range range : ranges) {
            if (range.from() < cursor) {
                throw new IllegalArgumentException("range " + range + " not beyond " + cursor);
            }
            writeVarint(bytes, range.from() - cursor);
            writeVarint(bytes, range.to() - range.from());
            cursor = range.to();
        }
        return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes.toByteArray());
    }

    /** The length {@link #encode} would return, without building it. */
    public int encodedLength(long base) {
        if (ranges.isEmpty()) {
            return 0;
        }
        int bytes = 0;
        long cursor = base;
        for (Range range : ranges) {
            bytes += varintLength(range.from() - cursor) + varintLength(range.to() - range.from());
            cursor = range.to();
        }
        return PREFIX.length() + (4 * bytes + 2) / 3;
    }

    /**
     * What metadata committed with {@code base} says; empty for metadata that is not ours (another tool's,
     * or none), which then skips nothing.
     */
    public static Optional<AnsweredOffsets> decode(long base, String metadata) {
        if (metadata == null || !metadata.startsWith(PREFIX)) {
            return Optional.empty();
        }
        byte[] bytes;
        try {
            bytes = Base64.getUrlDecoder().decode(metadata.substring(PREFIX.length()));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        List<Range> ranges = new ArrayList<>();
        long cursor = base;
        int[] at = {0};
        while (at[0] < bytes.length) {
            long gap = readVarint(bytes, at);
            long length = at[0] < bytes.length ? readVarint(bytes, at) : -1;
            // The committed offset is the first unanswered record: a first range at it is not ours (a new owner would
            // skip that record for good). Offsets past Long.MAX_VALUE are not ours either.
            if (gap < 0 || length <= 0 || (ranges.isEmpty() && gap == 0)
                    || gap > Long.MAX_VALUE - cursor || length > Long.MAX_VALUE - (cursor + gap)) {
                return Optional.empty();
            }
            long from = cursor + gap;
            ranges.add(new Range(from, from + length));
            cursor = from + length;
        }
        // "ta1:" alone answers nothing, as "" does: the same empty answer for both, so that decoding what encode wrote is stable.
        return ranges.isEmpty() ? Optional.empty() : Optional.of(new AnsweredOffsets(ranges));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AnsweredOffsets other && ranges.equals(other.ranges);
    }

    @Override
    public int hashCode() {
        return ranges.hashCode();
    }

    @Override
    public String toString() {
        return ranges.toString();
    }

    /** Builds ranges from offsets or ranges given in increasing order, joining adjacent ones. */
    static final class Builder {
        private final List<Range> ranges = new ArrayList<>();
        private long from = -1;
        private long to = -1;

        /** Adds {@code [start, end)}; it must not begin before what was added last ends. */
        Builder add(long start, long end) {
            if (end <= start) {
                return this;
            }
            if (from >= 0 && start <= to) {
                to = Math.max(to, end);
            } else {
                flush();
                from = start;
                to = end;
            }
            return this;
        }

        /** Where the last range ends, or -1. */
        long end() {
            return to;
        }

        AnsweredOffsets build() {
            flush();
            return new AnsweredOffsets(ranges);
        }

        private void flush() {
            if (from >= 0) {
                ranges.add(new Range(from, to));
            }
            from = -1;
            to = -1;
        }
    }

    private static void writeVarint(ByteArrayOutputStream out, long value) {
        while ((value & ~0x7FL) != 0) {
            out.write((int) ((value & 0x7F) | 0x80));
            value >>>= 7;
        }
        out.write((int) value);
    }

    private static int varintLength(long value) {
        int length = 1;
        while ((value & ~0x7FL) != 0) {
            value >>>= 7;
            length++;
        }
        return length;
    }

    private static long readVarint(byte[] bytes, int[] at) {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (at[0] >= bytes.length) {
                return -1;
            }
            byte b = bytes[at[0]++];
            value |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return value;
            }
        }
        return -1;
    }
}
