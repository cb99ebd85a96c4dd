package io.travelart.devstack.openai;

import io.travelart.devstack.image.ImageDetail;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.BadRequestException;
import com.openai.errors.InternalServerException;
import com.openai.errors.RateLimitException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.images.ImageGenerateParams;
import com.openai.models.images.ImagesResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The simulator as the workers see it: through openai-java with strict response validation. */
class OpenAiSimulatorTest {

    private static OpenAiSimulator simulator;
    private static OpenAIClient client;

    @BeforeAll
    static void start() {
        simulator = OpenAiSimulator.start(SimulatorSettings.instant());
        client = OpenAIOkHttpClient.builder().baseUrl(simulator.baseUrl()).apiKey("sk-test").maxRetries(0)
                .responseValidation(true).build();
    }

    @AfterAll
    static void stop() {
        client.close();
        simulator.close();
    }

    @BeforeEach
    void reset() {
        simulator.settings(SimulatorSettings.instant());
    }

    private static ChatCompletion chat(String requestId, String user) {
        return client.chat().completions().create(ChatCompletionCreateParams.builder()
                .model("gpt-5.4-mini").addSystemMessage("Write an image prompt.").addUserMessage(user)
                .putAdditionalHeader(OpenAiSimulator.REQUEST_ID_HEADER, requestId).build());
    }

    private static ImagesResponse image(String requestId, String model, String prompt) {
        return client.images().generate(ImageGenerateParams.builder().model(model).prompt(prompt).n(1)
                .size(ImageGenerateParams.Size._1024X1024)
                .putAdditionalHeader(OpenAiSimulator.REQUEST_ID_HEADER, requestId).build());
    }

    @Test
    void chatAnswersOneParagraphAboutTheKeywordWithUsage() {
        ChatCompletion completion = chat("chat-1", "<keyword>겨울밤의 파리</keyword>\n<style>watercolor</style>");

        String prompt = completion.choices().get(0).message().content().orElseThrow();
        assertThat(prompt).contains("겨울밤의 파리").contains("watercolor").contains("night").doesNotContain("\n");
        assertThat(completion.model()).isEqualTo("gpt-5.4-mini");
        assertThat(completion.usage().orElseThrow().totalTokens()).isPositive();
        assertThat(simulator.calls(OpenAiSimulator.Endpoint.CHAT, "chat-1")).isEqualTo(1);
        assertThat(simulator.billed(OpenAiSimulator.Endpoint.CHAT, "chat-1")).isEqualTo(1);
    }

    @Test
    void gptImageAnswersARealPngAsBase64WithUsage() throws IOException {
        ImagesResponse response = image("img-1", "gpt-image-2.6-flare", "Paris on a snowy winter night, watercolor");

        var data = response.data().orElseThrow().get(0);
        assertThat(data.url()).isEmpty();
        BufferedImage png = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(data.b64Json().orElseThrow())));
        assertThat(png.getWidth()).isEqualTo(1024);
        assertThat(png.getHeight()).isEqualTo(1024);
        assertThat(response.usage().orElseThrow().totalTokens()).isPositive();
        assertThat(simulator.billed(OpenAiSimulator.Endpoint.IMAGES, "img-1")).isEqualTo(1);
    }

    @Test
    void differentPromptsDrawDifferentImages() {
        String a = image("img-a", "gpt-image-2.6-flare", "Kyoto in autumn rain").data().orElseThrow().get(0).b64Json().orElseThrow();
        String b = image("img-b", "gpt-image-2.6-flare", "Santorini at sunrise").data().orElseThrow().get(0).b64Json().orElseThrow();
        assertThat(a).isNotEqualTo(b);
    }

    @Test
    void dallEAnswersAnExpiringUrlWithARevisedPrompt() throws Exception {
        simulator.settings(SimulatorSettings.instant());
        simulator.models().shutDownOn("dall-e-3", null); // shut down by OpenAI in May 2026; here a provider that still serves it
        ImagesResponse response = image("img-url", "dall-e-3", "Kyoto in autumn rain");

        var data = response.data().orElseThrow().get(0);
        assertThat(data.b64Json()).isEmpty();
        assertThat(data.revisedPrompt()).isPresent();
        HttpResponse<byte[]> download = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(data.url().orElseThrow())).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(download.statusCode()).isEqualTo(200);
        assertThat(ImageIO.read(new ByteArrayInputStream(download.body())).getWidth()).isEqualTo(1024);
    }

    @Test
    void expiredUrlsAnswer404() throws Exception {
        simulator.settings(new SimulatorSettings(Duration.ZERO, Duration.ZERO, 0, SimulatorSettings.ImageMode.URL,
                Duration.ZERO, SimulatorSettings.DEFAULT_REFUSAL_MARKER, 0, 0, Duration.ofSeconds(1), 0, false, SimulatorSettings.Dialect.OPENAI, ImageDetail.PLAIN));
        String url = image("img-expired", "gpt-image-2.6-flare", "Lisbon trams").data().orElseThrow().get(0).url().orElseThrow();

        int status = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
        assertThat(status).isEqualTo(404);
    }

    @Test
    void refusalMarkerGivesAContentPolicyViolation() {
        assertThatThrownBy(() -> chat("refused", "<keyword>Paris " + SimulatorSettings.DEFAULT_REFUSAL_MARKER + "</keyword>"))
                .isInstanceOfSatisfying(BadRequestException.class,
                        e -> assertThat(e.code()).contains("content_policy_violation"));
        assertThatThrownBy(() -> image("refused-img", "gpt-image-2.6-flare", "x " + SimulatorSettings.DEFAULT_REFUSAL_MARKER))
                .isInstanceOfSatisfying(BadRequestException.class,
                        e -> assertThat(e.code()).contains("content_policy_violation"));
        assertThat(simulator.billed(OpenAiSimulator.Endpoint.CHAT, "refused")).isZero();
        assertThat(simulator.calls(OpenAiSimulator.Endpoint.CHAT, "refused")).isEqualTo(1);
    }

    @Test
    void injectedRateLimitsCarryRetryHeaders() {
        simulator.settings(SimulatorSettings.instant().withFaults(429, 1.0));
        assertThatThrownBy(() -> chat("limited", "<keyword>Rome</keyword>"))
                .isInstanceOfSatisfying(RateLimitException.class, e -> {
                    assertThat(e.headers().values("retry-after-ms")).containsExactly("1000");
                    assertThat(e.headers().values("Retry-After")).containsExactly("1");
                });
        simulator.settings(SimulatorSettings.instant().withFaults(503, 1.0));
        assertThatThrownBy(() -> image("down", "gpt-image-2.6-flare", "Rome")).isInstanceOf(InternalServerException.class);
    }

    @Test
    void imageCallsBeyondTheImagesPerMinuteLimitAre429WithTheWaitUntilTheNextPermit() {
        // 6 per minute: a bucket of one image, one more every 10 s.
        simulator.settings(SimulatorSettings.instant().withImagesPerMinute(6));
        long before = simulator.rateLimitedCalls();
        image("within-limit", "gpt-image-2.6-flare", "Rome");
        assertThatThrownBy(() -> image("over-limit", "gpt-image-2.6-flare", "Rome"))
                .isInstanceOfSatisfying(RateLimitException.class, e -> {
                    long waitMillis = Long.parseLong(e.headers().values("retry-after-ms").get(0));
                    assertThat(waitMillis).isBetween(9_000L, 10_000L);
                    assertThat(e.headers().values("Retry-After")).containsExactly("10");
                });
        assertThat(simulator.rateLimitedCalls()).isEqualTo(before + 1);
        assertThat(simulator.billed(OpenAiSimulator.Endpoint.IMAGES, "over-limit")).isZero();
    }

    @Test
    void reusedImagesAreDrawnOncePerSize() {
        simulator.settings(SimulatorSettings.instant().withReusedImages(true));
        String first = image("reuse-1", "gpt-image-2.6-flare", "Rome").data().orElseThrow().get(0).b64Json().orElseThrow();
        String second = image("reuse-2", "gpt-image-2.6-flare", "Oslo").data().orElseThrow().get(0).b64Json().orElseThrow();
        assertThat(second).isEqualTo(first);
    }

    @Test
    void missingApiKeyIsRejected() throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(simulator.baseUrl() + "/chat/completions"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"gpt-5.4-mini\",\"messages\":[]}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.body()).contains("invalid_api_key");
    }
}
