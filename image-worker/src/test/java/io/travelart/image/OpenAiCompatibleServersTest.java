package io.travelart.image;

import io.travelart.image.openai.OpenAiImageGenerator;
import io.travelart.core.openai.OpenAiClients;
import io.travelart.core.openai.OpenAiConfig;
import io.travelart.devstack.openai.OpenAiSimulator;
import io.travelart.devstack.openai.SimulatorSettings;
import io.travelart.devstack.openai.SimulatorSettings.Dialect;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.io.ByteArrayInputStream;
import java.time.Duration;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The openai backend against servers that speak OpenAI's images API their own way, in the shapes their documentation
 * gives (the simulator's dialects): LocalAI answers a URL and a chat-style usage, vLLM-Omni base64 without usage; both
 * take any model name and ignore quality.
 */
class OpenAiCompatibleServersTest {

    private OpenAiSimulator server;

    @BeforeEach
    void start() {
        server = OpenAiSimulator.start(SimulatorSettings.instant());
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private GeneratedImage draw(String model, String quality, ImageSize size) {
        var client = OpenAiClients.create(new OpenAiConfig(Optional.of("sk-local"), server.baseUrl(), Duration.ofSeconds(10), false), 1);
        try {
            return new OpenAiImageGenerator(client, model, Duration.ofSeconds(10)).generate("r-1", "Lisbon tram at dusk", size, quality);
        } finally {
            client.close();
        }
    }

    @Test
    void localAiAnswersAUrlThatIsDownloadedAndAUsageOfAnotherShapeThatIsPricedPerImage() throws Exception {
        server.settings(SimulatorSettings.instant().withDialect(Dialect.LOCALAI));

        GeneratedImage image = draw("stablediffusion", "high", new ImageSize(512, 512));

        var png = ImageIO.read(new ByteArrayInputStream(image.bytes()));
        assertThat(png.getWidth()).isEqualTo(512);
        assertThat(image.usage()).as("LocalAI's prompt_tokens usage is not OpenAI's; no tokens, so priced per image").isNull();
        assertThat(image.model()).isEqualTo("stablediffusion");
        var sent = server.recentExchanges().get(server.recentExchanges().size() - 1);
        assertThat(sent.response().path("data").path(0).path("url").asText()).startsWith("http://127.0.0.1:");
        assertThat(sent.request().has("quality")).as("quality goes to GPT image models only").isFalse();
    }

    @Test
    void aServerThatIgnoresQualityUnderAnOpenAiModelAliasStillGivesTheImage() throws Exception {
        // LocalAI lets an operator name a model after OpenAI's, so the quality and format are sent and ignored.
        server.settings(SimulatorSettings.instant().withDialect(Dialect.LOCALAI));

        GeneratedImage image = draw("gpt-image-2.6-flare", "high", new ImageSize(1024, 1024));

        assertThat(ImageFormat.of(image.bytes())).hasValueSatisfying(f -> assertThat(f.width()).isEqualTo(1024));
        var sent = server.recentExchanges().get(server.recentExchanges().size() - 1);
        assertThat(sent.request().path("quality").asText()).isEqualTo("high");
        assertThat(sent.response().has("quality")).isFalse();
    }

    @Test
    void vllmOmniAnswersBase64WithNullsAndNoUsage() throws Exception {
        server.settings(SimulatorSettings.instant().withDialect(Dialect.VLLM_OMNI));

        GeneratedImage image = draw("Qwen/Qwen-Image", "medium", new ImageSize(1024, 768));

        var png = ImageIO.read(new ByteArrayInputStream(image.bytes()));
        assertThat(png.getWidth()).isEqualTo(1024);
        assertThat(png.getHeight()).isEqualTo(768);
        assertThat(image.usage()).isNull();
        assertThat(image.revisedPrompt()).isNull();
    }
}
