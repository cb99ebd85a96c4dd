package io.travelart.prompt;

import io.travelart.events.KeywordRequested;

/**
 * Writes one detailed English image prompt for a request. Blocking; failures are thrown as the
 * provider's exceptions and classified by the stage.
 */
public interface PromptWriter {
    WrittenPrompt write(KeywordRequested request);
}
