package io.travelart.image;

import io.travelart.events.ImageReady;
import io.travelart.events.PromptCreated;
import io.travelart.events.TokenUsage;

import java.time.Instant;

/** The image-ready of a request whose image is stored: one shape, whichever lane drew it. */
public final class ReadyEvents {

    private ReadyEvents() {
    }

    /** @param lane {@code interactive} or {@code batch} ({@link io.travelart.events.Priorities}) */
    public static ImageReady of(PromptCreated input, StoredImage stored, String url, String revisedPrompt, String model,
                                TokenUsage usage, long imageLatencyMs, Instant createdAt, String lane) {
        return ImageReady.newBuilder()
                .setRequestId(input.getRequestId())
                .setRequest(input.getRequest())
                .setPrompt(input.getPrompt())
                .setRevisedPrompt(revisedPrompt)
                .setImageUrl(url)
                .setImageLocation(stored.address())
                .setContentType(stored.contentType())
                .setSizeBytes(stored.sizeBytes())
                .setSha256(stored.sha256())
                .setWidth(stored.format().width())
                .setHeight(stored.format().height())
                .setPromptModel(input.getModel())
                .setImageModel(model)
                .setPromptUsage(input.getUsage())
                .setImageUsage(usage)
                .setPromptLatencyMs(input.getPromptLatencyMs())
                .setImageLatencyMs(imageLatencyMs)
                .setCreatedAt(createdAt)
                .setLane(lane)
                .build();
    }
}
