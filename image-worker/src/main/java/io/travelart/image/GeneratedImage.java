package io.travelart.image;

import io.travelart.events.TokenUsage;

/**
 * Image bytes as the model made them, with what the provider said about them.
 *
 * @param usage     tokens, where the provider bills by them (OpenAI); else null
 * @param seed      the seed it was drawn with, where the backend takes one (ComfyUI); else null
 * @param computeMs how long the server ran the job, where it says (ComfyUI); else null
 */
public record GeneratedImage(byte[] bytes, String revisedPrompt, String model, TokenUsage usage, Long seed, Long computeMs) {

    /** An image from a provider that bills by tokens or per image and takes no seed. */
    public GeneratedImage(byte[] bytes, String revisedPrompt, String model, TokenUsage usage) {
        this(bytes, revisedPrompt, model, usage, null, null);
    }
}
