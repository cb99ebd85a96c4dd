package io.travelart.image;

import io.travelart.core.openai.ImageModels;
import io.travelart.core.failure.ErrorClassifier;
import io.travelart.core.failure.StageNames;
import io.travelart.core.metrics.WorkerMetrics;

/** Wraps an {@link ImageGenerator} so that every attempt is timed by outcome, and each image and its cost counted. */
public final class MeteredImageGenerator implements ImageGenerator {

    private final ImageGenerator generator;
    private final String model;
    private final WorkerMetrics metrics;
    private final ErrorClassifier classifier;

    public MeteredImageGenerator(ImageGenerator generator, String model, WorkerMetrics metrics, ErrorClassifier classifier) {
        this.generator = generator;
        this.model = model;
        this.metrics = metrics;
        this.classifier = classifier;
    }

    @Override
    public GeneratedImage generate(String requestId, String prompt, ImageSize size, String quality) {
        GeneratedImage image = metrics.timed(StageNames.IMAGE, model, classifier, () -> generator.generate(requestId, prompt, size, quality));
        metrics.image(model, ImageModels.sizeTag(size.toString()), image.usage(), image.computeMs());
        metrics.tokens(StageNames.IMAGE, model, image.usage());
        return image;
    }
}
