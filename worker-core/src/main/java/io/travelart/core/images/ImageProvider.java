package io.travelart.core.images;

import io.travelart.core.config.ConfigException;
import io.travelart.core.config.Settings;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The kind of image server the image-worker talks to ({@code TRAVELART_IMAGE_PROVIDER}): both workers read it, the
 * prompt-worker to check a request's size against what that server draws before anything is paid.
 */
public enum ImageProvider {
    /** OpenAI's images API, or a server that speaks it (LocalAI, vLLM-Omni and the like) at {@code OPENAI_BASE_URL}. */
    OPENAI,
    /** A ComfyUI server running a Stable Diffusion workflow. */
    COMFYUI;

    public static final String SETTING = "TRAVELART_IMAGE_PROVIDER";

    /** The setting's value as written: {@code openai} or {@code comfyui}. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static ImageProvider from(Settings settings) {
        String value = settings.string(SETTING, "openai").strip().toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(p -> p.id().equals(value)).findFirst()
                .orElseThrow(() -> new ConfigException(SETTING + "=" + value + " is not accepted: expected one of "
                        + Arrays.stream(values()).map(ImageProvider::id).collect(Collectors.joining(", "))));
    }
}
