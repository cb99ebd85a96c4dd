package io.travelart.image.app;

import io.travelart.image.ImageMemory;
import io.travelart.image.ImageSize;
import io.travelart.image.store.ImageStoreConfig;
import io.travelart.core.config.ConfigException;
import io.travelart.core.config.Settings;
import io.travelart.core.config.WorkerConfig;
import io.travelart.core.images.ImageModels;
import io.travelart.core.images.ImageProvider;
import io.travelart.image.comfyui.ComfyUiConfig;
import io.travelart.core.openai.ModelLifecycle;
import io.travelart.core.openai.OpenAiConfig;
import io.travelart.image.batch.BatchLaneConfig;

import java.util.Optional;

/**
 * The image-worker's settings: the shared worker settings, the image server ({@code TRAVELART_IMAGE_PROVIDER}: openai,
 * the default, for OpenAI and servers that speak its images API; or comfyui, with {@link ComfyUiConfig}), OpenAI, and
 * {@code TRAVELART_IMAGE_MODEL} (gpt-image-2.6-flare; for ComfyUI the workflow's model file), {@code TRAVELART_IMAGE_SIZE} (1024x1024),
 * {@code TRAVELART_IMAGE_QUALITY} (medium; a request's own quality wins), {@code TRAVELART_IMAGE_FORMAT} (png, webp or jpeg)
 * with {@code TRAVELART_IMAGE_COMPRESSION} (0-100, for webp and jpeg; the provider's default when unset), the model
 * lifecycle check ({@link ModelLifecycle.Config}),
 * the image store ({@link ImageStoreConfig}: a directory or an S3-compatible bucket); for the directory store
 * {@code TRAVELART_IMAGE_HTTP_HOST} (0.0.0.0) and {@code TRAVELART_IMAGE_HTTP_PORT} (8080; 0 picks a free one) of the
 * worker's image server; {@code TRAVELART_IMAGE_PUBLIC_BASE_URL}, the base of the published image URLs (directory
 * store: {@code <base>/images/<name>}, default http://HOST:PORT with localhost for 0.0.0.0; S3 store:
 * {@code <base>/<key>}, presigned URLs when unset), and this
 * instance's {@code TRAVELART_IMAGES_PER_MINUTE} (0, the default, means no limit), {@code TRAVELART_MAX_IMAGES_IN_MEMORY}
 * (8: image answers held at once, {@link ImageMemory}), and the batch lane ({@link BatchLaneConfig}).
 */
public record ImageWorkerConfig(WorkerConfig worker, ImageProvider provider, Optional<ComfyUiConfig> comfyui, OpenAiConfig openai,
                                String imageModel, ImageSize defaultSize,
                                String quality, String outputFormat, Optional<Integer> compression,
                                ImageStoreConfig store, String httpHost, int httpPort, Optional<String> publicBaseUrl,
                                int imagesPerMinute, ModelLifecycle.Config modelCheck, BatchLaneConfig batch, int maxImagesInMemory) {

    public static final String DEFAULT_IMAGE_MODEL = "gpt-image-2.6-flare";
    public static final String DEFAULT_QUALITY = "medium";
    /** About 5 MB each at its peak for a 1024x1024 PNG (the image's blocks as its base64 is decoded, then its array). */
    public static final int DEFAULT_IMAGES_IN_MEMORY = 8;

    public static ImageWorkerConfig from(Settings settings) {
        String size = settings.string("TRAVELART_IMAGE_SIZE", "1024x1024");
        ImageProvider provider = ImageProvider.from(settings);
        Optional<ComfyUiConfig> comfyui = provider == ImageProvider.COMFYUI ? Optional.of(ComfyUiConfig.from(settings)) : Optional.empty();
        if (comfyui.isEmpty() && settings.optional("TRAVELART_IMAGE_SEED").isPresent()) {
            throw new ConfigException("TRAVELART_IMAGE_SEED is for seeded backends (TRAVELART_IMAGE_PROVIDER=comfyui); "
                    + "OpenAI's images API takes no seed");
        }
        String model = comfyui.map(c -> c.model(settings)).orElseGet(() -> settings.string("TRAVELART_IMAGE_MODEL", DEFAULT_IMAGE_MODEL));
        ImageSize defaultSize = ImageSize.parse(size).orElseThrow(() -> new ConfigException(
                "TRAVELART_IMAGE_SIZE=" + size + " is not accepted: expected WIDTHxHEIGHT, e.g. 1024x1024"));
        ImageModels.sizeProblem(provider, model, defaultSize.width(), defaultSize.height()).ifPresent(problem -> {
            throw new ConfigException("TRAVELART_IMAGE_SIZE=" + problem);
        });
        String quality = settings.string("TRAVELART_IMAGE_QUALITY", DEFAULT_QUALITY);
        ImageModels.qualityProblem(model, quality).ifPresent(problem -> {
            throw new ConfigException("TRAVELART_IMAGE_QUALITY: " + problem);
        });
        String format = settings.string("TRAVELART_IMAGE_FORMAT", "png");
        if (!ImageModels.FORMATS.contains(format)) {
            throw new ConfigException("TRAVELART_IMAGE_FORMAT=" + format + " is not accepted: expected png, webp or jpeg");
        }
        if (!format.equals("png") && comfyui.isPresent()) {
            throw new ConfigException("TRAVELART_IMAGE_FORMAT=" + format + " is for OpenAI's GPT image models; "
                    + "a ComfyUI workflow saves what its output node saves (SaveImage: png)");
        }
        if (!format.equals("png") && !ImageModels.gptImage(model)) {
            throw new ConfigException("TRAVELART_IMAGE_FORMAT=" + format + " needs a GPT image model; " + model + " answers png");
        }
        Optional<Integer> compression = settings.optional("TRAVELART_IMAGE_COMPRESSION")
                .map(v -> settings.intValue("TRAVELART_IMAGE_COMPRESSION", 100, 0, 100));
        if (compression.isPresent() && format.equals("png")) {
            throw new ConfigException("TRAVELART_IMAGE_COMPRESSION is for webp and jpeg; TRAVELART_IMAGE_FORMAT is png");
        }
        BatchLaneConfig batch = BatchLaneConfig.from(settings, comfyui.isEmpty());
        if (comfyui.isPresent() && batch.enabled()) {
            throw new ConfigException("TRAVELART_BATCH_LANE=true needs OpenAI's Batch API; with TRAVELART_IMAGE_PROVIDER=comfyui "
                    + "requests of priority batch are drawn as they come (unset TRAVELART_BATCH_LANE)");
        }
        return new ImageWorkerConfig(
                WorkerConfig.from(settings),
                provider,
                comfyui,
                OpenAiConfig.from(settings),
                model,
                defaultSize,
                quality,
                format,
                compression,
                ImageStoreConfig.from(settings),
                settings.string("TRAVELART_IMAGE_HTTP_HOST", "0.0.0.0"),
                settings.intValue("TRAVELART_IMAGE_HTTP_PORT", 8080, 0, 65535),
                settings.optional("TRAVELART_IMAGE_PUBLIC_BASE_URL"),
                settings.intValue("TRAVELART_IMAGES_PER_MINUTE", 0, 0, 10_000_000),
                ModelLifecycle.Config.from(settings),
                batch,
                settings.intValue("TRAVELART_MAX_IMAGES_IN_MEMORY", DEFAULT_IMAGES_IN_MEMORY, 1, 1024));
    }
}
