package io.travelart.image;

import io.travelart.events.TokenUsage;

/** Image bytes as the model made them, with what the provider said about them. */
public record GeneratedImage(byte[] bytes, String revisedPrompt, String model, TokenUsage usage) {
}
