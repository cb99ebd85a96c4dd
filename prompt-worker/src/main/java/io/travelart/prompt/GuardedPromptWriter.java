package io.travelart.prompt;

import io.travelart.core.failure.ErrorClassifier;
import io.travelart.core.call.RateLimiter;
import io.travelart.core.call.RetryPolicy;
import io.travelart.core.engine.StageGate;
import io.travelart.events.KeywordRequested;

/**
 * Wraps a {@link PromptWriter} with the instance's chat rate limits (requests and tokens per minute),
 * the retry policy and the stage's gate: every attempt waits for its permits, a 429 holds the whole
 * instance off, transient failures are retried, and a failure of the worker (key, model, quota) pauses the stage. What fails for good is thrown as a {@code CallFailedException}.
 */
public final class GuardedPromptWriter implements PromptWriter {

    /** Tokens a call is assumed to use until its answer says: the system prompt, the keyword and a prompt-sized answer. */
    static final long ESTIMATED_BASE_TOKENS = OpenAiPromptWriter.SYSTEM.length() / 4 + 400;

    private final PromptWriter writer;
    private final RetryPolicy retry;
    private final RateLimiter requests;
    private final RateLimiter tokens;
    private final ErrorClassifier classifier;
    private final StageGate gate;

    public GuardedPromptWriter(PromptWriter writer, RetryPolicy retry, RateLimiter requests, RateLimiter tokens, StageGate gate,
                               ErrorClassifier classifier) {
        this.writer = writer;
        this.gate = gate;
        this.retry = retry;
        this.requests = requests;
        this.tokens = tokens;
        this.classifier = classifier;
    }

    @Override
    public WrittenPrompt write(KeywordRequested request) {
        return retry.call(() -> requests.call(1, classifier, () -> {
            long estimate = ESTIMATED_BASE_TOKENS + request.getKeyword().length();
            tokens.acquire(estimate);
            WrittenPrompt written = gate.watch(classifier::classify, () -> writer.write(request));
            if (written.usage() != null) {
                tokens.adjust(written.usage().getTotalTokens() - estimate);
            }
            return written;
        }));
    }
}
