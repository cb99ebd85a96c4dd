package io.travelart.image.batch;

import io.travelart.core.serde.DecodeException;
import io.travelart.core.serde.EventSerde;
import io.travelart.events.PromptCreated;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Where each request of a batch sits in its pending range, kept in 8 bytes a request (plus a bit per offset), so that
 * answering a batch of any size holds nothing per request that grows with what the request carries. An entry packs 40
 * bits of a hash of the request id with the record's place in the range (24 bits); the entries are sorted, and a line's
 * {@code custom_id} is found by binary search. Hashes that two entries share (a request id that comes twice, replayed
 * while it waited, or two ids that happen to collide) are resolved by reading those records again: their ids are kept,
 * each with its first offset. A lookup can still name a record of another request (an id not in the batch whose hash
 * matches): the caller checks the request id of the record it reads.
 */
final class RequestIndex {

    private static final int PLACE_BITS = 24;
    private static final long PLACE_MASK = (1L << PLACE_BITS) - 1;
    /** The widest pending range an index holds: far beyond {@link BatchLaneConfig#MAX_REQUESTS_LIMIT}. */
    static final long MAX_RANGE = 1L << PLACE_BITS;

    private final long first;
    private final long[] entries;
    private final Set<Long> shared;
    private final Map<String, Long> sharedIds;
    private final BitSet requests;

    private RequestIndex(long first, long[] entries, Set<Long> shared, Map<String, Long> sharedIds, BitSet requests) {
        this.first = first;
        this.entries = entries;
        this.shared = shared;
        this.sharedIds = sharedIds;
        this.requests = requests;
    }

    /** Reads the batch's pending records (twice when hashes are shared) and indexes the ones that are prompt-created. */
    static RequestIndex of(BatchRecord batch, PendingReader reader, EventSerde serde) {
        long span = batch.lastOffset() - batch.firstOffset() + 1;
        if (span > MAX_RANGE) {
            throw new IllegalStateException("the pending range of " + batch.batchId() + " spans " + span + " offsets, over "
                    + MAX_RANGE);
        }
        long[][] entries = {new long[Math.max(16, batch.requests())]};
        int[] size = {0};
        reader.forEach(batch, record -> requestId(record.value(), serde).ifPresent(id -> {
            if (size[0] == entries[0].length) {
                entries[0] = Arrays.copyOf(entries[0], size[0] * 2);
            }
            entries[0][size[0]++] = hash(id) << PLACE_BITS | (record.offset() - batch.firstOffset());
        }));
        long[] sorted = Arrays.copyOf(entries[0], size[0]);
        Arrays.sort(sorted);
        Set<Long> shared = new HashSet<>();
        for (int i = 1; i < sorted.length; i++) {
            if (sorted[i] >>> PLACE_BITS == sorted[i - 1] >>> PLACE_BITS) {
                shared.add(sorted[i] >>> PLACE_BITS);
            }
        }
        BitSet requests = new BitSet((int) span);
        Map<String, Long> sharedIds = new HashMap<>();
        for (long entry : sorted) {
            if (!shared.contains(entry >>> PLACE_BITS)) {
                requests.set((int) (entry & PLACE_MASK));
            }
        }
        if (!shared.isEmpty()) {
            reader.forEach(batch, record -> requestId(record.value(), serde)
                    .filter(id -> shared.contains(hash(id)) && !sharedIds.containsKey(id))
                    .ifPresent(id -> {
                        sharedIds.put(id, record.offset());
                        requests.set((int) (record.offset() - batch.firstOffset()));
                    }));
        }
        return new RequestIndex(batch.firstOffset(), sorted, shared, sharedIds, requests);
    }

    /** The offset of the request's first pending record; empty when the batch has none (or its hash is another's). */
    OptionalLong offsetOf(String requestId) {
        long hash = hash(requestId);
        if (shared.contains(hash)) {
            Long offset = sharedIds.get(requestId);
            return offset == null ? OptionalLong.empty() : OptionalLong.of(offset);
        }
        int at = Arrays.binarySearch(entries, hash << PLACE_BITS);
        int insertion = at >= 0 ? at : -at - 1;
        if (insertion < entries.length && entries[insertion] >>> PLACE_BITS == hash) {
            return OptionalLong.of(first + (entries[insertion] & PLACE_MASK));
        }
        return OptionalLong.empty();
    }

    /** The places in the range (offset less the first) of the requests to answer: one per request id. */
    BitSet requests() {
        return (BitSet) requests.clone();
    }

    int size() {
        return requests.cardinality();
    }

    private static java.util.Optional<String> requestId(byte[] value, EventSerde serde) {
        try {
            return java.util.Optional.of(serde.deserialize(value, PromptCreated.class).getRequestId());
        } catch (DecodeException e) {
            return java.util.Optional.empty(); // an INGEST failure when the batch was submitted
        }
    }

    /** 40 bits of FNV-1a (64) over the id's UTF-8 bytes, mixed so that the high bits depend on every byte. */
    static long hash(String requestId) {
        long h = 0xcbf29ce484222325L;
        for (byte b : requestId.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        return h >>> (64 - 40);
    }
}
