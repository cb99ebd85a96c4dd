package io.travelart.system;

import io.travelart.cli.local.LocalPipeline;
import io.travelart.devstack.comfyui.ComfyUiSimulator;
import io.travelart.devstack.openai.SimulatorSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * The end-to-end scenarios with the image-worker on the ComfyUI backend: prompts from the OpenAI simulator, images from
 * the ComfyUI simulator (a GPU queue four jobs wide), the built-in SDXL workflow.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ComfyUiEndToEndIT extends EndToEndScenarios {

    private ComfyUiSimulator comfy;
    private LocalPipeline pipeline;
    private Path data;

    @BeforeAll
    void startStack() throws IOException {
        data = Files.createTempDirectory("travelart-comfyui");
        comfy = ComfyUiSimulator.start(ComfyUiSimulator.Settings.defaults().withJobTime(Duration.ofMillis(40)).withGpuWidth(4));
        pipeline = LocalPipeline.start(data, 3,
                Optional.of(SimulatorSettings.defaults().withLatency(Duration.ofMillis(50), Duration.ofMillis(100))),
                Map.of("TRAVELART_MAX_IN_FLIGHT", "16", "TRAVELART_IMAGE_PROVIDER", "comfyui", "TRAVELART_COMFYUI_URL", comfy.baseUrl(),
                        "TRAVELART_COMFYUI_POLL_INTERVAL", "50ms"));
    }

    @AfterAll
    void stopStack() {
        if (pipeline != null) {
            pipeline.close();
        }
        if (comfy != null) {
            comfy.close();
        }
        TestDirs.delete(data);
    }

    @Override
    protected LocalPipeline pipeline() {
        return pipeline;
    }

    @Override
    protected long imageCalls(String requestId) {
        return comfy.queued(requestId);
    }

    @Override
    protected long imagesPaid(String requestId) {
        return comfy.drawn(requestId);
    }
}
