package io.travelart.image.comfyui;

import io.travelart.core.config.ConfigException;
import io.travelart.core.config.Settings;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The ComfyUI backend's settings ({@code TRAVELART_IMAGE_PROVIDER=comfyui}): {@code TRAVELART_COMFYUI_URL} (required,
 * e.g. http://gpu-1:8188), {@code TRAVELART_COMFYUI_WORKFLOW} (a workflow file in ComfyUI's API format with
 * placeholders, see {@link Workflow}; the built-in SDXL text-to-image one when unset),
 * {@code TRAVELART_COMFYUI_NEGATIVE_PROMPT}, {@code TRAVELART_COMFYUI_POLL_INTERVAL} (500ms: how often a job's history is
 * asked for), {@code TRAVELART_COMFYUI_JOB_TIMEOUT} (10m: from queueing to the image, waiting in the GPU queue
 * included), {@code TRAVELART_COMFYUI_TIMEOUT} (30s: one HTTP call) and {@code TRAVELART_IMAGE_SEED}
 * ({@code request}, the default: a seed derived from the request id, so a request retried, replayed or drawn again
 * gives the same image; or a number, the same seed for every request).
 */
public record ComfyUiConfig(URI url, Workflow workflow, String negativePrompt, Duration pollInterval, Duration jobTimeout,
                            Duration callTimeout, Optional<Long> fixedSeed) {

    /** The built-in workflow (class path), used when TRAVELART_COMFYUI_WORKFLOW is unset. */
    public static final String BUILT_IN_WORKFLOW = "comfyui/sdxl-txt2img.json";
    public static final String DEFAULT_NEGATIVE_PROMPT = "blurry, low quality, distorted, deformed, text, watermark, signature";

    public static ComfyUiConfig from(Settings settings) {
        String url = settings.required("TRAVELART_COMFYUI_URL", "the ComfyUI server, e.g. http://127.0.0.1:8188");
        URI uri;
        try {
            uri = URI.create(url.strip());
        } catch (IllegalArgumentException e) {
            throw new ConfigException("TRAVELART_COMFYUI_URL=" + url + " is not a URL: " + e.getMessage());
        }
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
            throw new ConfigException("TRAVELART_COMFYUI_URL=" + url + " is not an http(s) URL, e.g. http://127.0.0.1:8188");
        }
        Workflow workflow = workflow(settings);
        Optional<Long> seed = settings.optional("TRAVELART_IMAGE_SEED").filter(v -> !v.strip().equals("request")).map(v -> {
            try {
                long value = Long.parseLong(v.strip());
                if (value < 0) {
                    throw new NumberFormatException();
                }
                return value;
            } catch (NumberFormatException e) {
                throw new ConfigException("TRAVELART_IMAGE_SEED=" + v + " is not accepted: expected 'request' (a seed per request) "
                        + "or a whole number from 0");
            }
        });
        return new ComfyUiConfig(uri, workflow,
                settings.string("TRAVELART_COMFYUI_NEGATIVE_PROMPT", DEFAULT_NEGATIVE_PROMPT),
                settings.duration("TRAVELART_COMFYUI_POLL_INTERVAL", Duration.ofMillis(500)),
                settings.duration("TRAVELART_COMFYUI_JOB_TIMEOUT", Duration.ofMinutes(10)),
                settings.duration("TRAVELART_COMFYUI_TIMEOUT", Duration.ofSeconds(30)),
                seed);
    }

    /** The model named in image-ready and priced: TRAVELART_IMAGE_MODEL, else the workflow's model file, else "comfyui". */
    public String model(Settings settings) {
        return model(settings, workflow);
    }

    /** As {@link #model(Settings)}, for a workflow read on its own (before anything else is configured). */
    public static String model(Settings settings, Workflow workflow) {
        return settings.optional("TRAVELART_IMAGE_MODEL").orElseGet(() -> workflow.modelName().orElse("comfyui"));
    }

    /** TRAVELART_COMFYUI_WORKFLOW's workflow, or the built-in one. */
    public static Workflow workflow(Settings settings) {
        return settings.optional("TRAVELART_COMFYUI_WORKFLOW").map(ComfyUiConfig::readWorkflow).orElseGet(ComfyUiConfig::builtIn);
    }

    private static Workflow readWorkflow(String file) {
        Path path = Path.of(file);
        try {
            return Workflow.parse(Files.readString(path, StandardCharsets.UTF_8), "TRAVELART_COMFYUI_WORKFLOW=" + file);
        } catch (IOException e) {
            throw new ConfigException("TRAVELART_COMFYUI_WORKFLOW=" + file + " cannot be read: " + e);
        }
    }

    /** The SDXL text-to-image workflow that ships with the image-worker (docs/backends.md). */
    public static Workflow builtIn() {
        try (InputStream in = ComfyUiConfig.class.getClassLoader().getResourceAsStream(BUILT_IN_WORKFLOW)) {
            if (in == null) {
                throw new IllegalStateException(BUILT_IN_WORKFLOW + " is not on the class path");
            }
            return Workflow.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), "the built-in workflow " + BUILT_IN_WORKFLOW);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
