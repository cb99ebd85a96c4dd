package io.travelart.image.batch;

import com.code_intelligence.jazzer.junit.FuzzTest;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** Coverage-guided fuzzing (Jazzer) of a line of a Batch API output or error file, as the provider writes it. */
class BatchLineFuzzTest {

    /** Any text: a line naming its request, or nothing; never an exception (it would abort reading the whole batch). */
    @FuzzTest(maxDuration = "5m")
    void anyTextIsABatchLineOrNothing(byte[] data) {
        OpenAiBatches.line(new String(data, StandardCharsets.UTF_8))
                .ifPresent(line -> assertThat(line.path("custom_id").isTextual()).isTrue());
    }
}
