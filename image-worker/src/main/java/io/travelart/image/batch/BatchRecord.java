package io.travelart.image.batch;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A batch as the lane records it on the compacted batches topic (key: the batch id), JSON: which pending
 * records it holds (one partition, {@code firstOffset} to {@code lastOffset}), and where it is. {@code OPEN}
 * is written, with the pending offsets, as soon as the provider has the batch; {@code DONE}, with the
 * counts and what it cost, with the image-ready and request-failed events of its requests.
 */
public record BatchRecord(String batchId, String submission, int partition, long firstOffset, long lastOffset, int requests,
                          String state, long submittedAtMs, String status, int ready, int failed, double costUsd) {

    public static final String OPEN = "OPEN";
    public static final String DONE = "DONE";

    private static final ObjectMapper JSON = new ObjectMapper();

    static BatchRecord open(String batchId, String submission, int partition, long firstOffset, long lastOffset, int requests,
                            long submittedAtMs) {
        return new BatchRecord(batchId, submission, partition, firstOffset, lastOffset, requests, OPEN, submittedAtMs,
                "submitted", 0, 0, 0);
    }

    BatchRecord done(String status, int ready, int failed, double costUsd) {
        return new BatchRecord(batchId, submission, partition, firstOffset, lastOffset, requests, DONE, submittedAtMs, status,
                ready, failed, costUsd);
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
            return JSON.readValue(json, BatchRecord.class);
        } catch (IOException e) {
            throw new UncheckedIOException("not a batch record: " + e.getMessage(), e);
        }
    }
}
