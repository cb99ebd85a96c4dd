package io.travelart.image;

import io.travelart.core.engine.ErrorCodes;
import io.travelart.core.engine.Failure;
import io.travelart.core.engine.Outcome;
import io.travelart.core.engine.Stage;
import io.travelart.core.engine.StageNames;
import io.travelart.core.openai.OpenAiErrors;
import io.travelart.events.ImageReady;
import io.travelart.events.PromptCreated;

import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/** prompt-created → image-ready: generates the image, stores it, and publishes where it is. */
public final class ImageStage implements Stage<PromptCreated, ImageReady> {

    private final ImageGenerator generator;
    private final ImageStore store;
    private final Executor executor;
    private final Clock clock;
    private final ImageSize defaultSize;
    private final String publicBaseUrl;

    /** @param publicBaseUrl base of the published URLs: an image is at {@code <publicBaseUrl>/images/<name>} */
    public ImageStage(ImageGenerator generator, ImageStore store, String publicBaseUrl, Executor executor, Clock clock,
                      ImageSize defaultSize) {
        this.generator = generator;
        this.store = store;
        this.executor = executor;
        this.clock = clock;
        this.defaultSize = defaultSize;
        this.publicBaseUrl = publicBaseUrl.endsWith("/") ? publicBaseUrl.substring(0, publicBaseUrl.length() - 1) : publicBaseUrl;
    }

    @Override
    public String name() {
        return StageNames.IMAGE;
    }

    @Override
    public Class<PromptCreated> inputType() {
        return PromptCreated.class;
    }

    @Override
    public String requestId(PromptCreated input) {
        return input.getRequestId();
    }

    @Override
    public String keyword(PromptCreated input) {
        return input.getRequest().getKeyword();
    }

    @Override
    public CompletableFuture<Outcome<ImageReady>> process(PromptCreated input) {
        String requested = input.getRequest().getImageSize();
        Optional<ImageSize> size = requested == null || requested.isBlank() ? Optional.of(defaultSize) : ImageSize.parse(requested);
        if (size.isEmpty()) {
            return CompletableFuture.completedFuture(Outcome.failed(Failure.permanent(ErrorCodes.INVALID_INPUT,
                    "imageSize '" + requested + "' is not WIDTHxHEIGHT, e.g. 1024x1024")));
        }
        if (input.getPrompt() == null || input.getPrompt().isBlank()) {
            return CompletableFuture.completedFuture(Outcome.failed(Failure.permanent(ErrorCodes.INVALID_INPUT, "prompt is blank")));
        }
        return CompletableFuture.supplyAsync(() -> generate(input, size.get()), executor);
    }

    private Outcome<ImageReady> generate(PromptCreated input, ImageSize size) {
        Instant started = clock.instant();
        GeneratedImage image;
        try {
            image = generator.generate(input.getRequestId(), input.getPrompt(), size);
        } catch (ImageDownloadException e) {
            return Outcome.failed(Failure.retriable(ErrorCodes.NETWORK, e.getMessage()));
        } catch (RuntimeException e) {
            return Outcome.failed(OpenAiErrors.classify(e));
        }
        Instant generated = clock.instant();
        Optional<ImageFormat> format = ImageFormat.of(image.bytes());
        if (format.isEmpty()) {
            return Outcome.failed(Failure.retriable(ErrorCodes.INVALID_ANSWER,
                    "the provider's " + image.bytes().length + " bytes are not a PNG or JPEG image"));
        }
        StoredImage stored;
        try {
            stored = store.put(input.getRequestId(), image.bytes(), format.get());
        } catch (IOException e) {
            return Outcome.failed(Failure.retriable(ErrorCodes.STORAGE, "storing the image failed: " + e));
        }
        return Outcome.published(ImageReady.newBuilder()
                .setRequestId(input.getRequestId())
                .setRequest(input.getRequest())
                .setPrompt(input.getPrompt())
                .setRevisedPrompt(image.revisedPrompt())
                .setImageUrl(publicBaseUrl + "/images/" + stored.name())
                .setContentType(stored.contentType())
                .setSizeBytes(stored.sizeBytes())
                .setSha256(stored.sha256())
                .setWidth(format.get().width())
                .setHeight(format.get().height())
                .setPromptModel(input.getModel())
                .setImageModel(image.model())
                .setPromptUsage(input.getUsage())
                .setImageUsage(image.usage())
                .setPromptLatencyMs(input.getPromptLatencyMs())
                .setImageLatencyMs(generated.toEpochMilli() - started.toEpochMilli())
                .setCreatedAt(clock.instant())
                .build());
    }
}
