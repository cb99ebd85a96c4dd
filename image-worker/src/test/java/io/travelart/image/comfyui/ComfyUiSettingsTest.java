package io.travelart.image.comfyui;

import io.travelart.core.config.ConfigException;
import io.travelart.core.config.Settings;
import io.travelart.core.images.ImageModels;
import io.travelart.core.images.ImageProvider;
import io.travelart.image.app.ImageWorkerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The image-worker's settings with TRAVELART_IMAGE_PROVIDER=comfyui: what makes sense for that backend, and what does not. */
class ComfyUiSettingsTest {

    private static ImageWorkerConfig config(Map<String, String> more) {
        Map<String, String> values = new HashMap<>(Map.of("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092",
                "SCHEMA_REGISTRY_URL", "http://localhost:8081", "TRAVELART_IMAGE_PROVIDER", "comfyui",
                "TRAVELART_COMFYUI_URL", "http://gpu-1:8188"));
        values.putAll(more);
        return ImageWorkerConfig.from(Settings.of(values));
    }

    @Test
    void theDefaultsAreTheBuiltInWorkflowItsModelARequestSeedAndNoBatchLane() {
        ImageWorkerConfig config = config(Map.of());

        assertThat(config.provider()).isEqualTo(ImageProvider.COMFYUI);
        assertThat(config.imageModel()).isEqualTo("sd_xl_base_1.0");
        assertThat(config.batch().enabled()).isFalse();
        ComfyUiConfig comfy = config.comfyui().orElseThrow();
        assertThat(comfy.url()).hasToString("http://gpu-1:8188");
        assertThat(comfy.fixedSeed()).isEmpty();
        assertThat(comfy.workflow().uses(Workflow.SEED)).isTrue();
        assertThat(config(Map.of("TRAVELART_IMAGE_SEED", "7", "TRAVELART_IMAGE_MODEL", "my-sdxl-finetune")))
                .satisfies(c -> {
                    assertThat(c.comfyui().orElseThrow().fixedSeed()).contains(7L);
                    assertThat(c.imageModel()).isEqualTo("my-sdxl-finetune");
                });
    }

    @Test
    void anOperatorsWorkflowFileIsReadAndItsModelNamed(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("flux.json");
        Files.writeString(file, """
                {"1": {"class_type": "UNETLoader", "inputs": {"unet_name": "flux/flux1-dev.safetensors"}},
                 "2": {"class_type": "CLIPTextEncode", "inputs": {"text": "{{prompt}}"}},
                 "3": {"class_type": "SaveImage", "inputs": {"filename_prefix": "x"}}}""");

        ImageWorkerConfig config = config(Map.of("TRAVELART_COMFYUI_WORKFLOW", file.toString()));

        assertThat(config.imageModel()).isEqualTo("flux1-dev");
        assertThat(config.comfyui().orElseThrow().workflow().uses(Workflow.SEED)).isFalse();
    }

    @Test
    void settingsThatMakeNoSenseForTheBackendAreRefusedInOneLine() {
        assertThatThrownBy(() -> config(Map.of("TRAVELART_COMFYUI_URL", "gpu-1:8188")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("is not an http(s) URL");
        assertThatThrownBy(() -> config(Map.of("TRAVELART_COMFYUI_WORKFLOW", "/nonexistent/w.json")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("TRAVELART_COMFYUI_WORKFLOW=/nonexistent/w.json cannot be read");
        assertThatThrownBy(() -> config(Map.of("TRAVELART_IMAGE_SEED", "lucky")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("TRAVELART_IMAGE_SEED=lucky is not accepted");
        assertThatThrownBy(() -> config(Map.of("TRAVELART_BATCH_LANE", "true")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("needs OpenAI's Batch API");
        assertThatThrownBy(() -> config(Map.of("TRAVELART_IMAGE_FORMAT", "webp")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("SaveImage: png");
        assertThatThrownBy(() -> config(Map.of("TRAVELART_IMAGE_SIZE", "1000x1004")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("divisible by 8");
        assertThatThrownBy(() -> config(Map.of("TRAVELART_IMAGE_PROVIDER", "midjourney")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("expected one of openai, comfyui");
        assertThatThrownBy(() -> config(Map.of("TRAVELART_IMAGE_PROVIDER", "openai", "TRAVELART_IMAGE_SEED", "7")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("OpenAI's images API takes no seed");
    }

    @Test
    void stableDiffusionSizesAreEdgesDivisibleByEight() {
        assertThat(ImageModels.sizeProblem(ImageProvider.COMFYUI, "sd_xl_base_1.0", 1216, 832)).isEmpty();
        assertThat(ImageModels.sizeProblem(ImageProvider.COMFYUI, "sd_xl_base_1.0", 1000, 1004)).isPresent();
        assertThat(ImageModels.sizeProblem(ImageProvider.COMFYUI, "sd_xl_base_1.0", 8, 512)).hasValueSatisfying(p -> assertThat(p).contains("16 to 16384"));
        // the same size is refused by gpt-image-2 (edges divisible by 16)
        assertThat(ImageModels.sizeProblem(ImageProvider.OPENAI, "gpt-image-2.6-flare", 1000, 1000)).isPresent();
        assertThat(ImageModels.sizeProblem(ImageProvider.COMFYUI, "gpt-image-2.6-flare", 1000, 1000)).isEmpty();
    }
}
