package io.travelart.image.openai;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.core.ObjectMappers;
import com.openai.errors.OpenAIInvalidDataException;
import com.openai.errors.OpenAIIoException;
import com.openai.models.images.ImagesResponse;
import io.travelart.events.TokenUsage;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Images answers as servers send them, and as hostile ones might. */
class ImagesAnswerTest {

    private static final long MAX = 32L << 20;

    private static byte[] picture(int size) {
        byte[] bytes = new byte[size];
        new Random(size).nextBytes(bytes); // noise, as film grain is: nothing to squeeze
        return bytes;
    }

    private static ImagesAnswer read(String json) {
        return ImagesAnswer.read(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), MAX);
    }

    @Test
    void openAisAnswerGivesItsImageRevisedPromptAndUsage() {
        byte[] png = picture(300_000);
        ImagesAnswer answer = read("""
                {"created": 1765000000, "background": "opaque",
                 "data": [{"b64_json": "%s", "revised_prompt": "Paris on a winter night"}],
                 "output_format": "png", "quality": "medium", "size": "1024x1024",
                 "usage": {"input_tokens": 50, "input_tokens_details": {"image_tokens": 0, "text_tokens": 50},
                           "output_tokens": 1056, "total_tokens": 1106}}
                """.formatted(Base64.getEncoder().encodeToString(png)));
        assertThat(answer.image()).isEqualTo(png);
        assertThat(answer.revisedPrompt()).isEqualTo("Paris on a winter night");
        assertThat(answer.url()).isNull();
        assertThat(answer.usage()).isEqualTo(new TokenUsage(50L, 1056L, 1106L));
    }

    @Test
    void fieldsComeInAnyOrderWithNullsUnknownsAndMoreImagesThanAskedFor() {
        byte[] first = picture(1000);
        ImagesAnswer answer = read("""
                {"usage": {"total_tokens": 3, "output_tokens": 2, "input_tokens": 1},
                 "extra": {"deep": [[[{"a": [1, 2, {"b": null}]}]]]},
                 "data": [{"url": null, "future": {"x": [1]}, "b64_json": "%s", "revised_prompt": null},
                          {"b64_json": "%s"}, "not even an object"]}
                """.formatted(Base64.getEncoder().encodeToString(first), Base64.getEncoder().encodeToString(picture(10))));
        assertThat(answer.image()).isEqualTo(first);
        assertThat(answer.revisedPrompt()).isNull();
        assertThat(answer.usage()).isEqualTo(new TokenUsage(1L, 2L, 3L));
    }

    @Test
    void base64WithoutItsPaddingIsTakenAsJavasDecoderTookIt() {
        byte[] bytes = picture(1001); // 1001 % 3 == 2: one '=' of padding
        String unpadded = Base64.getEncoder().withoutPadding().encodeToString(bytes);
        assertThat(read("{\"data\": [{\"b64_json\": \"" + unpadded + "\"}]}").image()).isEqualTo(bytes);
    }

    @Test
    void anAnswerWithAUrlGivesTheUrl() {
        ImagesAnswer answer = read("{\"data\": [{\"url\": \"https://images.example/a.png\"}]}");
        assertThat(answer.image()).isNull();
        assertThat(answer.url()).isEqualTo("https://images.example/a.png");
        assertThat(answer.usage()).isNull();
    }

    @Test
    void usageOfAnotherShapeIsNoUsage() {
        // LocalAI answers chat-style counts; such an image is priced per image.
        ImagesAnswer answer = read("{\"data\": [{\"b64_json\": \"AAAA\"}], \"usage\": {\"prompt_tokens\": 0, \"completion_tokens\": 0}}");
        assertThat(answer.usage()).isNull();
        assertThat(read("{\"data\": [{\"b64_json\": \"AAAA\"}], \"usage\": {\"input_tokens\": 1.5, \"output_tokens\": 2, \"total_tokens\": 3}}")
                .usage()).isNull();
        assertThat(read("{\"data\": [{\"b64_json\": \"AAAA\"}], \"usage\": \"lots\"}").usage()).isNull();
    }

    @Test
    void answersWithoutAnImageAreRefused() {
        assertThatThrownBy(() -> read("{\"created\": 1}")).isInstanceOf(OpenAIInvalidDataException.class).hasMessageContaining("holds no image");
        assertThatThrownBy(() -> read("{\"data\": []}")).isInstanceOf(OpenAIInvalidDataException.class).hasMessageContaining("holds no image");
        assertThatThrownBy(() -> read("{\"data\": null}")).isInstanceOf(OpenAIInvalidDataException.class).hasMessageContaining("holds no image");
        assertThatThrownBy(() -> read("{\"data\": [{\"revised_prompt\": \"x\"}]}"))
                .isInstanceOf(OpenAIInvalidDataException.class).hasMessageContaining("neither b64_json nor url");
        assertThatThrownBy(() -> read("{\"data\": {\"b64_json\": \"AAAA\"}}"))
                .isInstanceOf(OpenAIInvalidDataException.class).hasMessageContaining("not an array");
        assertThatThrownBy(() -> read("{\"data\": [7]}")).isInstanceOf(OpenAIInvalidDataException.class).hasMessageContaining("not an object");
        assertThatThrownBy(() -> read("{\"data\": [{\"b64_json\": 7}]}")).isInstanceOf(OpenAIInvalidDataException.class).hasMessageContaining("not a string");
        assertThatThrownBy(() -> read("{\"data\": [{\"url\": [\"x\"]}]}")).isInstanceOf(OpenAIInvalidDataException.class).hasMessageContaining("not a string");
    }

    @Test
    void whatIsNotJsonOrNotBase64IsRefused() {
        assertThatThrownBy(() -> read("<html>502 Bad Gateway</html>")).isInstanceOf(OpenAIInvalidDataException.class);
        assertThatThrownBy(() -> read("[1, 2]")).isInstanceOf(OpenAIInvalidDataException.class).hasMessageContaining("not a JSON object");
        assertThatThrownBy(() -> read("")).isInstanceOf(OpenAIInvalidDataException.class);
        assertThatThrownBy(() -> read("{\"data\": [{\"b64_json\": \"AAAA")).isInstanceOf(OpenAIInvalidDataException.class);
        assertThatThrownBy(() -> read("{\"data\": [{\"b64_json\": \"not base64 at all!\"}]}"))
                .isInstanceOf(OpenAIInvalidDataException.class).hasMessageContaining("not base64");
        // Found by fuzzing: "{" and three zero bytes make Jackson read UTF-32, whose next character is out of range.
        byte[] utf32 = {'{', 0, 0, 0, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff};
        assertThatThrownBy(() -> ImagesAnswer.read(new ByteArrayInputStream(utf32), MAX))
                .isInstanceOf(OpenAIInvalidDataException.class).hasMessageContaining("not valid text");
    }

    @Test
    void lengthBombsAreRefusedAtTheirBound() {
        String image = Base64.getEncoder().encodeToString(picture(100_001));
        assertThatThrownBy(() -> ImagesAnswer.read(new ByteArrayInputStream(
                ("{\"data\": [{\"b64_json\": \"" + image + "\"}]}").getBytes(StandardCharsets.UTF_8)), 100_000))
                .isInstanceOf(OpenAIInvalidDataException.class).hasMessageContaining("larger than 100000 bytes");
        String prompt = "a".repeat(ImagesAnswer.MAX_TEXT_CHARS + 1);
        assertThatThrownBy(() -> read("{\"data\": [{\"b64_json\": \"AAAA\", \"revised_prompt\": \"" + prompt + "\"}]}"))
                .isInstanceOf(OpenAIInvalidDataException.class);
        String deep = "[".repeat(10_000) + "]".repeat(10_000);
        assertThatThrownBy(() -> read("{\"extra\": " + deep + ", \"data\": [{\"b64_json\": \"AAAA\"}]}"))
                .isInstanceOf(OpenAIInvalidDataException.class).hasMessageContaining("nesting depth");
    }

    @Test
    void aConnectionBrokenWhileReadingIsTheNetworks() {
        byte[] start = "{\"data\": [{\"b64_json\": \"AAAA".getBytes(StandardCharsets.UTF_8);
        InputStream broken = new InputStream() {
            private int at;

            @Override
            public int read() throws IOException {
                if (at < start.length) {
                    return start[at++];
                }
                throw new IOException("Connection reset");
            }
        };
        assertThatThrownBy(() -> ImagesAnswer.read(broken, MAX)).isInstanceOf(OpenAIIoException.class).hasMessageContaining("Connection reset");
    }

    @Test
    void aBatchLinesParsedBodyReadsTheSame() throws IOException {
        byte[] png = picture(5000);
        var body = new ObjectMapper().readTree("{\"data\": [{\"b64_json\": \"" + Base64.getEncoder().encodeToString(png)
                + "\"}], \"usage\": {\"input_tokens\": 1, \"output_tokens\": 2, \"total_tokens\": 3}}");
        ImagesAnswer answer = ImagesAnswer.read(body.traverse(), MAX);
        assertThat(answer.image()).isEqualTo(png);
        assertThat(answer.usage()).isEqualTo(new TokenUsage(1L, 2L, 3L));
    }

    /**
     * What reading a real-size answer costs: a 1024x1024 PNG with grain is about 2.4 MB, 3.2 MB as base64. Read
     * here it allocates about twice the image (its blocks, then its array: 4.8 MB); the SDK's parse, which the
     * synchronous call no longer uses, allocated 56 MB (23 times the image) when this was written.
     */
    @Test
    void aRealSizeAnswerAllocatesAboutTwiceItsImage() throws IOException {
        byte[] png = picture(2_400_000);
        byte[] json = ("{\"data\": [{\"b64_json\": \"" + Base64.getEncoder().encodeToString(png) + "\"}]}").getBytes(StandardCharsets.UTF_8);
        read("{\"data\": [{\"b64_json\": \"AAAA\"}]}"); // classes loaded, buffers pooled

        long streamed = allocatedBy(() -> assertThat(ImagesAnswer.read(new ByteArrayInputStream(json), MAX).image()).hasSize(png.length));
        long sdk = allocatedBy(() -> {
            try {
                ImagesResponse response = ObjectMappers.jsonMapper().readValue(new ByteArrayInputStream(json), ImagesResponse.class);
                assertThat(Base64.getDecoder().decode(response.data().orElseThrow().get(0).b64Json().orElseThrow())).hasSize(png.length);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(streamed).as("bytes allocated reading it").isLessThan(png.length * 5L / 2);
        assertThat(sdk).as("bytes the SDK's parse allocated").isGreaterThan(png.length * 4L);
    }

    private static long allocatedBy(Runnable work) {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        work.run();
        return threads.getCurrentThreadAllocatedBytes() - before;
    }
}
