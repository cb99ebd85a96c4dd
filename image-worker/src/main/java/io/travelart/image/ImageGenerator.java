package io.travelart.image;

/**
 * Generates one image for a prompt. Blocking; failures are thrown as the provider's exceptions and
 * classified by the stage.
 */
public interface ImageGenerator {
    GeneratedImage generate(String requestId, String prompt, ImageSize size);
}
