package io.travelart.prompt;

/** The model answered with a refusal instead of a prompt. */
public class ModelRefusalException extends RuntimeException {
    public ModelRefusalException(String refusal) {
        super("the model refused: " + refusal);
    }
}
