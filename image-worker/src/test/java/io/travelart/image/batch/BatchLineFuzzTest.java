package io.travelart.image.batch;

import com.code_intelligence.jazzer.junit.FuzzTest;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** Coverage-guided fuzzing (Jazzer) of a line of a Batch API output or error file, as the provider writes it. */
class BatchLineFuzzTest {

    /** Any text: a line naming its request, or nothing; never an exception (it would abort reading the whole batch). */
    @FuzzTest(maxDuration = "5m")
    void anyTextIsABatchLineOrNothing(byte[] data) {
        BatchFile.parse(new String(data, StandardCharsets.UTF_8))
                .ifPresent(line -> assertThat(line.path("custom_id").isTextual()).isTrue());
    }

    /**
     * Any bytes as a whole file: read line by line without an exception, and skipping counts the same lines as reading
     * (a lane going on after a crash skips the lines its record says were read, and must land on the same line).
     */
    @FuzzTest(maxDuration = "2m")
    void anyFileIsReadLineByLineAndSkippedTheSameWay(byte[] data) throws java.io.IOException {
        long read = 0;
        try (BatchFile file = new BatchFile(new java.io.ByteArrayInputStream(data), 64)) {
            while (file.next() != null) {
                read++;
            }
        }
        try (BatchFile file = new BatchFile(new java.io.ByteArrayInputStream(data), 64)) {
            assertThat(file.skip(Long.MAX_VALUE)).isEqualTo(read);
        }
        long half = read / 2;
        try (BatchFile file = new BatchFile(new java.io.ByteArrayInputStream(data), 64)) {
            assertThat(file.skip(half)).isEqualTo(half);
            assertThat(file.atEnd()).as("nothing left after %d of %d lines", half, read).isEqualTo(half == read);
            long rest = 0;
            while (file.next() != null) {
                rest++;
            }
            assertThat(rest).isEqualTo(read - half);
        }
    }
}
