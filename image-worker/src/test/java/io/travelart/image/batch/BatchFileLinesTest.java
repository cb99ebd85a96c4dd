package io.travelart.image.batch;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** A Batch API file read one line at a time: what a line holds is handed on, what is over the limit is never held. */
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

    @Test
    void eachLineNamingItsRequestIsHandedOnAndTheRestCounted() throws Exception {
        List<String> ids = new ArrayList<>();
        int skipped = OpenAiBatches.forEachLine(text("""
                {"custom_id":"a","response":{"status_code":200}}
                not json
                
                [1,2]
                {"custom_id":"b"}
                {"custom_id":"c"}"""), 1 << 20, line -> ids.add(line.path("custom_id").asText()));

        assertThat(ids).containsExactly("a", "b", "c");
        assertThat(skipped).as("'not json' and the array").isEqualTo(2);
    }

    @Test
    void aLineOverTheLimitIsSkippedWithoutBeingHeldAndTheNextOneIsRead() throws Exception {
        InputStream file = new SequenceInputStream(Collections.enumeration(List.of(
                text("{\"custom_id\":\"before\"}\n{\"custom_id\":\"huge\",\"x\":\""), filler(50L << 20), text("\"}\n"),
                text("{\"custom_id\":\"after\"}"))));
        List<JsonNode> lines = new ArrayList<>();

        int skipped = OpenAiBatches.forEachLine(file, 1 << 20, lines::add);

        assertThat(lines).extracting(l -> l.path("custom_id").asText()).containsExactly("before", "after");
        assertThat(skipped).isEqualTo(1);
    }
}
