package io.travelart.prompt;

import io.travelart.core.failure.ErrorClassifier;
import io.travelart.core.failure.StageNames;
import io.travelart.core.metrics.WorkerMetrics;
import io.travelart.events.KeywordRequested;

/** Wraps a {@link PromptWriter} so that every attempt is timed by outcome and its tokens and cost counted. */
public final class MeteredPromptWriter implements PromptWriter {

    private final PromptWriter writer;
    private final String model;
    private final WorkerMetrics metrics;
    private final ErrorClassifier classifier;

    public MeteredPromptWriter(PromptWriter writer, String model, WorkerMetrics metrics, ErrorClassifier classifier) {
        this.writer = writer;
        this.model = model;
        this.metrics = metrics;
        this.classifier = classifier;
    }

    @Override
    public WrittenPrompt write(KeywordRequested request) {
        WrittenPrompt written = metrics.timed(StageNames.PROMPT, model, classifier, () -> writer.write(request));
        metrics.tokens(StageNames.PROMPT, model, written.usage());
        return written;
    }
}
