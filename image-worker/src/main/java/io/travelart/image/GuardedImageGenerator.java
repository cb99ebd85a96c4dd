package io.travelart.image;

import io.travelart.core.call.ErrorClassifier;
import io.travelart.core.call.RateLimiter;
import io.travelart.core.call.RetryPolicy;

/**
 * Wraps an {@link ImageGenerator} with the instance's images-per-minute limit and the retry policy:
 * every attempt waits for its permit, a 429 holds the whole instance off, and transient failures are
 * retried. What fails for good is thrown as a {@code CallFailedException}.
 */
public final class GuardedImageGenerator implements ImageGenerator {

    private final ImageGenerator generator;
    private final RetryPolicy retry;
    private final RateLimiter images;
    private final ErrorClassifier classifier;

    public GuardedImageGenerator(ImageGenerator generator, RetryPolicy retry, RateLimiter images, ErrorClassifier classifier) {
        this.generator = generator;
        this.retry = retry;
        this.images = images;
        this.classifier = classifier;
    }

    @Override
    public GeneratedImage generate(String requestId, String prompt, ImageSize size) {
        return retry.call(() -> images.call(1, classifier, () -> generator.generate(requestId, prompt, size)));
    }
}
