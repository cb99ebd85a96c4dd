package io.travelart.image;

import io.travelart.events.ImageReady;
import io.travelart.events.PromptCreated;

import java.time.Instant;

/** The image-ready of a request whose image is stored: one shape, whichever lane drew it. */
public final class ReadyEvents {

    private ReadyEvents() {
    }

    /**
     * @param image what the provider said of the image (model, usage, seed, compute time); null for an image found in the
     *              store, of which only the model is known
     * @param lane  {@code interactive} or {@code batch} ({@link io.travelart.events.Priorities})
     */
    public static ImageReady of(PromptCreated input, StoredImage stored, String url, GeneratedImage image, String model,
                                long imageLatencyMs, Instant createdAt, String lane) {
        return ImageReady.newBuilder()
                .setRequestId(input.getRequestId())
                .setRequest(input.getRequest())
                .setPrompt(input.getPrompt())
                .setRevisedPrompt(image == null ? null : image.revisedPrompt())
                .setImageUrl(url)
                .setImageLocation(stored.address())
                .setContentType(stored.contentType())
                .setSizeBytes(stored.sizeBytes())
                .setSha256(stored.sha256())
                .setWidth(stored.format().width())
                .setHeight(stored.format().height())
                .setPromptModel(input.getModel())
                .setImageModel(image == null ? model : image.model())
                .setPromptUsage(input.getUsage())
                .setImageUsage(image == null ? null : image.usage())
                .setSeed(image == null ? null : image.seed())
                .setImageComputeMs(image == null ? null : image.computeMs())
                .setPromptLatencyMs(input.getPromptLatencyMs())
                .setImageLatencyMs(imageLatencyMs)
                .setCreatedAt(createdAt)
                .setLane(lane)
                .build();
    }
}
