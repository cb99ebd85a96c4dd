package io.travelart.prompt;

import io.travelart.events.TokenUsage;

/** A prompt as the model wrote it, with the model's name and the tokens it used (null when not reported). */
public record WrittenPrompt(String prompt, String model, TokenUsage usage) {
}
