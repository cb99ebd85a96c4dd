package io.travelart.core.engine;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * The record headers a stage carries from its input event to its output event, so that what
 * describes a request (how often it was replayed) stays with it through the pipeline. A failure
 * event needs none of them: it holds the input's headers whole.
 */
public final class CarriedHeaders {

    /** How many times {@code travelart replay} has republished this request (ASCII decimal). */
    public static final String REPLAY_COUNT = "travelart-replay-count";

    private static final Set<String> CARRIED = Set.of(REPLAY_COUNT);

    private CarriedHeaders() {
    }

    /** The input's carried headers, as a new header set for the output record. */
    public static Headers from(Headers input) {
        RecordHeaders output = new RecordHeaders();
        for (Header header : input) {
            if (CARRIED.contains(header.key())) {
                output.add(header.key(), header.value());
            }
        }
        return output;
    }

    /** The replay count a header value says; 0 when absent or not a number (nobody but replay writes it). */
    public static int replayCount(byte[] value) {
        if (value == null) {
            return 0;
        }
        try {
            return Math.max(0, Integer.parseInt(new String(value, StandardCharsets.US_ASCII).trim()));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    public static byte[] replayCountValue(int count) {
        return Integer.toString(count).getBytes(StandardCharsets.US_ASCII);
    }
}
