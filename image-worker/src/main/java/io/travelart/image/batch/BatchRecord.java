package io.travelart.image.batch;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;
import java.util.BitSet;

/**
 * A batch as the lane records it on the compacted batches topic (key: the batch id), JSON: which pending records it
 * holds (one partition, {@code firstOffset} to {@code lastOffset}), and where it is. {@code OPEN} is written, with the
 * pending offsets, as soon as the provider has the batch; its {@code answered} marks the requests of the range that
 * the submission ended itself (cancelled while they waited), which are not in the batch. Once it has ended, each chunk of its answers is written with an
 * {@code ANSWERING} record saying how far the lane got: lines read of the output file and of the error file, which
 * requests are answered ({@code answered}: a bit per pending offset, base64) and the counts so far; a lane that takes
 * over after a crash goes on from there. {@code DONE} is written with the last chunk, with the counts and what the
 * batch cost.
 */
public record BatchRecord(String batchId, String submission, int partition, long firstOffset, long lastOffset, int requests,
                          String state, long submittedAtMs, String status, int ready, int failed, double costUsd,
                          long outputLines, long errorLines, String answered) {

    public static final String OPEN = "OPEN";
    public static final String ANSWERING = "ANSWERING";
    public static final String DONE = "DONE";

    // A newer version's fields are passed over, so that instances of two versions can share the topic during a rollout.
    private static final ObjectMapper JSON = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** @param ended the places of requests the submission ended itself (cancelled ones): not in the batch, answered already */
    static BatchRecord open(String batchId, String submission, int partition, long firstOffset, long lastOffset, int requests,
                            BitSet ended, long submittedAtMs) {
        return new BatchRecord(batchId, submission, partition, firstOffset, lastOffset, requests, OPEN, submittedAtMs,
                "submitted", 0, 0, 0, 0, 0, ended.isEmpty() ? null : Base64.getEncoder().encodeToString(ended.toByteArray()));
    }

    /** How far the answers of the ended batch have been written. */
    BatchRecord answering(String status, long outputLines, long errorLines, BitSet answered, int ready, int failed, double costUsd) {
        return new BatchRecord(batchId, submission, partition, firstOffset, lastOffset, requests, ANSWERING, submittedAtMs, status,
                ready, failed, costUsd, outputLines, errorLines, Base64.getEncoder().encodeToString(answered.toByteArray()));
    }

    BatchRecord done(String status, int ready, int failed, double costUsd) {
        return new BatchRecord(batchId, submission, partition, firstOffset, lastOffset, requests, DONE, submittedAtMs, status,
                ready, failed, costUsd, outputLines, errorLines, null);
    }

    /** The requests answered so far, by place in the pending range (offset less the first); empty before any is. */
    BitSet answeredPlaces() {
        return answered == null ? new BitSet() : BitSet.valueOf(Base64.getDecoder().decode(answered));
    }

    byte[] toJson() {
        try {
            return JSON.writeValueAsBytes(this);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static BatchRecord fromJson(byte[] json) {
        try {
            BatchRecord record = JSON.readValue(json, BatchRecord.class);
            record.answeredPlaces(); // a broken progress field is a record not read, not a lane that fails on it later
            return record;
        } catch (IOException | IllegalArgumentException e) {
            throw new UncheckedIOException("not a batch record: " + e.getMessage(), new IOException(e));
        }
    }
}
