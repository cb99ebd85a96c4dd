package io.travelart.prompt;

import io.travelart.core.failure.ErrorClassifier;
import io.travelart.core.failure.ErrorCodes;
import io.travelart.core.failure.Failure;
import io.travelart.core.engine.KeywordStage;
import io.travelart.core.engine.Outcome;
import io.travelart.core.images.ImageModels;
import io.travelart.core.images.ImageProvider;
import io.travelart.events.KeywordRequested;
import io.travelart.events.Priorities;
import io.travelart.events.PromptCreated;
import io.travelart.events.RequestBounds;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * keyword-requested → prompt-created: checks the whole request before anything is paid for (keyword,
 * image size and quality against the image model), has the free moderation check look at it, has the
 * prompt written, checks the answer.
 */
public final class PromptStage extends KeywordStage<PromptCreated> {

    private static final Pattern SIZE = Pattern.compile("(\\d{2,5})x(\\d{2,5})");

    private final PromptWriter writer;
    private final Executor executor;
    private final Clock clock;
    private final ErrorClassifier errors;
    private final int keywordMaxLength;
    private final PromptCheck check;
    private final Moderator moderator;
    private final ImageProvider imageProvider;
    private final String imageModel;

    /**
     * @param moderator  the free check before the paid calls ({@link Moderator#OFF} for none)
     * @param imageProvider the pipeline's image server and {@code imageModel} its model: a request's size and quality must
     *                      be ones it accepts
     * @param errors     the classifier of the provider's errors, for what the calls throw
     */
    public PromptStage(PromptWriter writer, Moderator moderator, ImageProvider imageProvider, String imageModel, Executor executor,
                       Clock clock, ErrorClassifier errors, int keywordMaxLength, int promptMaxLength) {
        this.errors = errors;
        this.writer = writer;
        this.imageProvider = imageProvider;
        this.moderator = moderator;
        this.imageModel = imageModel;
        this.executor = executor;
        this.clock = clock;
        this.keywordMaxLength = keywordMaxLength;
        this.check = new PromptCheck(promptMaxLength);
    }

    @Override
    public CompletableFuture<Outcome<PromptCreated>> process(KeywordRequested request) {
        String invalid = validate(request);
        if (invalid != null) {
            return CompletableFuture.completedFuture(Outcome.failed(Failure.permanent(ErrorCodes.INVALID_INPUT, invalid)));
        }
        return CompletableFuture.supplyAsync(() -> write(request), executor);
    }

    private String validate(KeywordRequested request) {
        Optional<String> outOfBounds = RequestBounds.problem(request, keywordMaxLength);
        if (outOfBounds.isPresent()) {
            return outOfBounds.get();
        }
        String size = request.getImageSize();
        if (size != null && !size.isBlank()) {
            var matcher = SIZE.matcher(size.strip());
            if (!matcher.matches()) {
                return "imageSize " + RequestBounds.shown(size) + " is not WIDTHxHEIGHT, e.g. 1024x1024";
            }
            var problem = ImageModels.sizeProblem(imageProvider, imageModel, Integer.parseInt(matcher.group(1)), Integer.parseInt(matcher.group(2)));
            if (problem.isPresent()) {
                return "imageSize " + problem.get();
            }
        }
        String quality = request.getQuality();
        if (quality != null && !quality.isBlank()) {
            var problem = ImageModels.qualityProblem(imageModel, quality.strip());
            if (problem.isPresent()) {
                return problem.get();
            }
        }
        return Priorities.problem(request).orElse(null);
    }

    private Outcome<PromptCreated> write(KeywordRequested request) {
        Instant started = clock.instant();
        WrittenPrompt written;
        try {
            List<String> flagged = moderator.flagged(request);
            if (!flagged.isEmpty()) {
                return Outcome.failed(Failure.permanent(ErrorCodes.CONTENT_POLICY,
                        "the moderation check flagged the keyword or style: " + String.join(", ", flagged)));
            }
            written = writer.write(request);
        } catch (RuntimeException e) {
            return Outcome.failed(errors.classify(e));
        }
        Instant finished = clock.instant();
        return switch (check.check(written.prompt())) {
            case PromptCheck.Rejected(Failure failure) -> Outcome.failed(failure);
            case PromptCheck.Accepted(String prompt) -> Outcome.published(PromptCreated.newBuilder()
                    .setRequestId(request.getRequestId())
                    .setRequest(request)
                    .setPrompt(prompt)
                    .setModel(written.model())
                    .setUsage(written.usage())
                    .setPromptLatencyMs(finished.toEpochMilli() - started.toEpochMilli())
                    .setCreatedAt(finished)
                    .build());
        };
    }
}
