package io.travelart.image;

import io.travelart.core.failure.ErrorClassifier;
import io.travelart.core.call.RateLimiter;
import io.travelart.core.call.RetryPolicy;
import io.travelart.core.engine.StageGate;

/**
 * Wraps an {@link ImageGenerator} with the instance's images-per-minute limit, the retry policy and
 * the stage's gate: every attempt waits for its permit, a 429 holds the whole instance off, transient
 * failures are retried, and a failure of the worker (key, model, quota) pauses the stage. What fails for good is thrown as a {@code CallFailedException}.
 */
public final class GuardedImageGenerator implements ImageGenerator {

    private final ImageGenerator generator;
    private final RetryPolicy retry;
    private final RateLimiter images;
    private final ErrorClassifier classifier;
    private final StageGate gate;

    public GuardedImageGenerator(ImageGenerator generator, RetryPolicy retry, RateLimiter images, StageGate gate,
                                 ErrorClassifier classifier) {
        this.generator = generator;
        this.gate = gate;
        this.retry = retry;
        this.images = images;
        this.classifier = classifier;
    }

    @Override
    public GeneratedImage generate(String requestId, String prompt, ImageSize size, String quality) {
        return retry.call(() -> images.call(1, classifier,
                () -> gate.watch(classifier::classify, () -> generator.generate(requestId, prompt, size, quality))));
    }
}
