package io.travelart.image;

import io.travelart.core.failure.ErrorCodes;
import io.travelart.core.failure.Failure;
import io.travelart.core.images.ImageModels;
import io.travelart.events.PromptCreated;
import io.travelart.events.RequestBounds;

import java.util.Optional;

/**
 * The size and quality a request is drawn at when it does not say ({@code TRAVELART_IMAGE_SIZE},
 * {@code TRAVELART_IMAGE_QUALITY}), and the one reading of what a request asks for: the interactive stage, the batch
 * lane and its fallback all draw what {@link #ask} answers.
 */
public record ImageDefaults(ImageSize size, String quality) {

    /** What a request asks to be drawn at, or why it cannot be ({@code problem}, an INVALID_INPUT failure). */
    public record Asked(ImageSize size, String quality, Failure problem) {
    }

    /** The request's size and quality, defaulted, and checked against the model that is to draw them. */
    public Asked ask(PromptCreated input, String model) {
        String requested = input.getRequest().getImageSize();
        Optional<ImageSize> asked = requested == null || requested.isBlank() ? Optional.of(size) : ImageSize.parse(requested);
        if (asked.isEmpty()) {
            return new Asked(null, null, Failure.permanent(ErrorCodes.INVALID_INPUT,
                    "imageSize " + RequestBounds.shown(requested) + " is not WIDTHxHEIGHT, e.g. 1024x1024"));
        }
        String askedQuality = input.getRequest().getQuality() == null || input.getRequest().getQuality().isBlank()
                ? quality : input.getRequest().getQuality().strip();
        // The prompt-worker checks these before paying for a prompt; checked again for events that did not pass it.
        Optional<String> problem = ImageModels.sizeProblem(model, asked.get().width(), asked.get().height())
                .map(p -> "imageSize " + p).or(() -> ImageModels.qualityProblem(model, askedQuality));
        return new Asked(asked.get(), askedQuality, problem.map(p -> Failure.permanent(ErrorCodes.INVALID_INPUT, p)).orElse(null));
    }
}
