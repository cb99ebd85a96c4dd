package io.travelart.image.batch;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A Batch API file read one line at a time: what a line holds is handed on, what is over the limit is never held, and
 * skipping the lines a lane read before a crash lands on the line after them.
 */
class BatchFileLinesTest {

    private static InputStream text(String text) {
        return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
    }

    /** A stream of {@code length} bytes of 'x' made as it is read, so the test holds none of it. */
    private static InputStream filler(long length) {
        return new InputStream() {
            long left = length;

            @Override
            public int read() {
                return left-- > 0 ? 'x' : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (left <= 0) {
                    return -1;
                }
                int n = (int) Math.min(len, left);
                java.util.Arrays.fill(b, off, off + n, (byte) 'x');
                left -= n;
                return n;
            }
        };
    }

    private static final String MIXED = """
            {"custom_id":"a","response":{"status_code":200}}
            not json
              \t
            [1,2]
            {"custom_id":"b"}
            {"custom_id":"c"}""";

    /** The request ids of the readable lines, and a "?" for each unreadable one. */
    private static List<String> read(BatchFile file) throws IOException {
        List<String> lines = new ArrayList<>();
        for (BatchFile.Line line; (line = file.next()) != null; ) {
            lines.add(line.readable() ? line.json().path("custom_id").asText() : "?");
        }
        return lines;
    }

    @Test
    void eachLineNamingItsRequestIsHandedOnTheRestAreUnreadableAndBlankOnesPassedOver() throws IOException {
        try (BatchFile file = new BatchFile(text(MIXED), 1 << 20)) {
            assertThat(read(file)).containsExactly("a", "?", "?", "b", "c");
        }
    }

    @Test
    void skippingTheLinesReadBeforeLandsOnTheNextOne() throws IOException {
        try (BatchFile file = new BatchFile(text(MIXED), 1 << 20)) {
            assertThat(file.skip(3)).as("a, 'not json' and the array; the blank line is not one").isEqualTo(3);
            assertThat(read(file)).containsExactly("b", "c");
        }
        try (BatchFile file = new BatchFile(text(MIXED), 1 << 20)) {
            assertThat(file.skip(10)).as("a file shorter than the lines to skip").isEqualTo(5);
            assertThat(file.next()).isNull();
        }
    }

    @Test
    void aLineOverTheLimitIsUnreadableWithoutBeingHeldAndTheNextOneIsRead() throws IOException {
        InputStream huge = new SequenceInputStream(Collections.enumeration(List.of(
                text("{\"custom_id\":\"before\"}\n{\"custom_id\":\"huge\",\"x\":\""), filler(50L << 20), text("\"}\n"),
                text("{\"custom_id\":\"after\"}"))));
        try (BatchFile file = new BatchFile(huge, 1 << 20)) {
            assertThat(read(file)).containsExactly("before", "?", "after");
        }
        InputStream again = new SequenceInputStream(Collections.enumeration(List.of(
                text("{\"custom_id\":\"before\"}\n{\"custom_id\":\"huge\",\"x\":\""), filler(50L << 20), text("\"}\n"),
                text("{\"custom_id\":\"after\"}"))));
        try (BatchFile file = new BatchFile(again, 1 << 20)) {
            assertThat(file.skip(2)).isEqualTo(2);
            assertThat(read(file)).containsExactly("after");
        }
    }
}
