package io.travelart.image;

import io.travelart.core.engine.Outcome;
import io.travelart.core.failure.CallFailedException;
import io.travelart.core.failure.ErrorCodes;
import io.travelart.core.failure.Failure;
import io.travelart.events.ImageReady;
import io.travelart.events.PromptCreated;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Clock;
import java.util.Optional;

/**
 * Find, or check and store, then describe: the one way an image becomes a request's image-ready, whichever lane drew
 * it. No image is bought twice: a request whose image is stored already (redelivered after a crash, or replayed) is
 * answered from the store. A store that fails beyond its retry budget ({@link RetryingImageStore}) is one retriable
 * {@code STORAGE} failure of that request, never of the requests beside it.
 */
public final class ImageOutcomes {

    private static final Logger log = LoggerFactory.getLogger(ImageOutcomes.class);

    private final ImageStore store;
    private final ImageLinks links;
    private final String model;
    private final Clock clock;

    /**
     * @param store where images go; a {@link RetryingImageStore} retries a write with the bytes it holds
     * @param links the URL published for a stored image
     * @param model the image model, named in the image-ready of a request whose stored image is reused
     */
    public ImageOutcomes(ImageStore store, ImageLinks links, String model, Clock clock) {
        this.store = store;
        this.links = links;
        this.model = model;
        this.clock = clock;
    }

    /** The image-ready of a request whose image is stored already, or its STORAGE failure; empty when none is stored. */
    public Optional<Outcome<ImageReady>> stored(PromptCreated input, String lane) {
        Optional<StoredImage> existing;
        try {
            existing = store.find(input.getRequestId());
        } catch (IOException e) {
            return Optional.of(Outcome.failed(Failure.retriable(ErrorCodes.STORAGE, "reading the image store failed: " + e.getMessage())));
        } catch (CallFailedException e) {
            return Optional.of(Outcome.failed(e.failure()));
        }
        return existing.map(image -> {
            // Redelivered or replayed: the image was bought already.
            log.info("request {}: reusing the stored image {}", input.getRequestId(), image.address());
            return Outcome.published(ReadyEvents.of(input, image, links.url(image), null, model, 0, clock.instant(), lane));
        });
    }

    /**
     * Checks what the provider drew (an image of the size asked for) and stores it.
     *
     * @param latencyMs how long drawing took, as the lane measures it
     */
    public Outcome<ImageReady> keep(PromptCreated input, ImageSize size, GeneratedImage image, long latencyMs, String lane) {
        Optional<ImageFormat> format = ImageFormat.of(image.bytes());
        if (format.isEmpty()) {
            return Outcome.failed(Failure.retriable(ErrorCodes.INVALID_ANSWER,
                    "the provider's " + image.bytes().length + " bytes are not a PNG, JPEG or WebP image"));
        }
        Optional<String> wrongSize = format.get().sizeProblem(size);
        if (wrongSize.isPresent()) {
            return Outcome.failed(Failure.retriable(ErrorCodes.INVALID_ANSWER, "the provider drew " + wrongSize.get()));
        }
        StoredImage stored;
        try {
            stored = store.put(input.getRequestId(), image.bytes(), format.get());
        } catch (IOException e) {
            return Outcome.failed(Failure.retriable(ErrorCodes.STORAGE, "storing the image failed: " + e.getMessage()));
        } catch (CallFailedException e) {
            // The image was paid for and the store stayed away beyond the retry budget: a replay buys it again.
            log.warn("request {}: the image was generated but could not be stored: {}", input.getRequestId(), e.getMessage());
            return Outcome.failed(e.failure());
        }
        return Outcome.published(ReadyEvents.of(input, stored, links.url(stored), image, model, latencyMs, clock.instant(), lane));
    }
}
