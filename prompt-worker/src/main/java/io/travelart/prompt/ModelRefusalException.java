package io.travelart.prompt;

import io.travelart.core.failure.Classified;
import io.travelart.core.failure.ErrorCodes;
import io.travelart.core.failure.Failure;

/** The model answered with a refusal instead of a prompt: a content-policy failure, not worth a retry. */
public class ModelRefusalException extends RuntimeException implements Classified {
    public ModelRefusalException(String refusal) {
        super("the model refused: " + refusal);
    }

    @Override
    public Failure failure() {
        return Failure.permanent(ErrorCodes.CONTENT_POLICY, getMessage());
    }
}
