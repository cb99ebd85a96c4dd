package io.travelart.image.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.travelart.core.config.ConfigException;
import io.travelart.image.ImageFormat;
import io.travelart.image.comfyui.Workflow;
import io.travelart.image.openai.ImagesAnswer;
import com.openai.errors.OpenAIInvalidDataException;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Coverage-guided fuzzing (Jazzer) of what the image-worker parses from outside: an images answer, image headers from a
 * provider and a ComfyUI workflow file (a Batch API output line: {@code BatchLineFuzzTest}). {@code mvn verify} replays the committed corpus
 * ({@code src/test/resources/io/travelart/image/fuzz/ImageWorkerFuzzTestInputs/}); docs/testing.md says how to fuzz.
 */
class ImageWorkerFuzzTest {

    /**
     * Any bytes as the body of an images answer: an image within its bound or a URL, or an
     * {@link OpenAIInvalidDataException} (a retriable INVALID_ANSWER); never another exception, which would be taken for a
     * bug of ours (a permanent INTERNAL failure).
     */
    @FuzzTest(maxDuration = "5m")
    void anyBytesAreAnImagesAnswerOrInvalidData(byte[] data) {
        try {
            ImagesAnswer answer = ImagesAnswer.read(new ByteArrayInputStream(data), 4096);
            assertThat(answer.image() != null || answer.url() != null).isTrue();
            if (answer.image() != null) {
                assertThat(answer.image().length).isLessThanOrEqualTo(4096);
            }
        } catch (OpenAIInvalidDataException expected) {
            assertThat(expected.getMessage()).isNotBlank();
        }
    }

    /** Any bytes as a provider's image: a format with its size, or none; never an exception (it would fail the stage's call). */
    @FuzzTest(maxDuration = "5m")
    void anyBytesAreAnImageWithASizeOrNone(byte[] data) {
        ImageFormat.of(data).ifPresent(format -> {
            assertThat(format.width()).isPositive();
            assertThat(format.height()).isPositive();
        });
    }

    /** Any text as a workflow file: a workflow, or a ConfigException naming what is wrong (the worker's one-line start error). */
    @FuzzTest(maxDuration = "5m")
    void anyTextIsAWorkflowOrAConfigError(byte[] data) {
        try {
            Workflow.parse(new String(data, StandardCharsets.UTF_8), "fuzz.json");
        } catch (ConfigException expected) {
            assertThat(expected.getMessage()).startsWith("fuzz.json");
        }
    }
}
