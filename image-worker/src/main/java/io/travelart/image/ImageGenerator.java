package io.travelart.image;

/**
 * Generates one image for a prompt. Blocking; failures are thrown as the provider's exceptions and
 * classified by the stage.
 */
public interface ImageGenerator {
    /** @param quality the quality asked for; sent only to models that take it */
    GeneratedImage generate(String requestId, String prompt, ImageSize size, String quality);
}
