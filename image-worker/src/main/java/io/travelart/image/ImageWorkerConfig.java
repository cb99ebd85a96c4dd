package io.travelart.image;

import io.travelart.core.config.ConfigException;
import io.travelart.core.config.Settings;
import io.travelart.core.config.WorkerConfig;
import io.travelart.core.openai.OpenAiConfig;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The image-worker's settings: the shared worker settings, OpenAI, and
 * {@code TRAVELART_IMAGE_MODEL} (gpt-image-1-mini), {@code TRAVELART_IMAGE_SIZE} (1024x1024),
 * {@code TRAVELART_IMAGE_DIR} (travelart-data/images), {@code TRAVELART_IMAGE_HTTP_HOST} (0.0.0.0),
 * {@code TRAVELART_IMAGE_HTTP_PORT} (8080; 0 picks a free one) and {@code TRAVELART_IMAGE_PUBLIC_BASE_URL}
 * (default http://HOST:PORT, with localhost for 0.0.0.0), the base of the published image URLs, and this
 * instance's {@code TRAVELART_IMAGES_PER_MINUTE} (0, the default, means no limit).
 */
public record ImageWorkerConfig(WorkerConfig worker, OpenAiConfig openai, String imageModel, ImageSize defaultSize,
                                Path imageDir, String httpHost, int httpPort, Optional<String> publicBaseUrl,
                                int imagesPerMinute) {

    public static final String DEFAULT_IMAGE_MODEL = "gpt-image-1-mini";

    public static ImageWorkerConfig from(Settings settings) {
        String size = settings.string("TRAVELART_IMAGE_SIZE", "1024x1024");
        return new ImageWorkerConfig(
                WorkerConfig.from(settings),
                OpenAiConfig.from(settings),
                settings.string("TRAVELART_IMAGE_MODEL", DEFAULT_IMAGE_MODEL),
                ImageSize.parse(size).orElseThrow(() -> new ConfigException(
                        "TRAVELART_IMAGE_SIZE=" + size + " is not accepted: expected WIDTHxHEIGHT, e.g. 1024x1024")),
                Path.of(settings.string("TRAVELART_IMAGE_DIR", "travelart-data/images")),
                settings.string("TRAVELART_IMAGE_HTTP_HOST", "0.0.0.0"),
                settings.intValue("TRAVELART_IMAGE_HTTP_PORT", 8080, 0, 65535),
                settings.optional("TRAVELART_IMAGE_PUBLIC_BASE_URL"),
                settings.intValue("TRAVELART_IMAGES_PER_MINUTE", 0, 0, 10_000_000));
    }
}
