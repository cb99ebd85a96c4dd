package io.travelart.core.failure;

/** A call that failed for good: permanently, or after the retry budget ran out. */
public final class CallFailedException extends RuntimeException implements Classified {

    private final transient Failure failure;

    public CallFailedException(Failure failure, Throwable cause) {
        super(failure.code() + ": " + failure.message(), cause);
        this.failure = failure;
    }

    @Override
    public Failure failure() {
        return failure;
    }
}
