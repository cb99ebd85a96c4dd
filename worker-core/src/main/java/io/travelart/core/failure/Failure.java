package io.travelart.core.failure;

import java.time.Instant;

/**
 * Why a request could not complete: a stable code an operator filters on (see {@link ErrorCodes}),
 * a message for people, whether a replay of the same input may succeed, the attempts made, and when
 * the first of them failed (null when the engine's start time of the record is the right answer).
 */
public record Failure(String code, String message, boolean retriable, int attempts, Instant firstFailureAt) {

    public static Failure permanent(String code, String message) {
        return new Failure(code, message, false, 1, null);
    }

    public static Failure retriable(String code, String message) {
        return new Failure(code, message, true, 1, null);
    }

    /** The same failure after {@code attempts} attempts, the first of which failed at {@code firstFailureAt}. */
    public Failure after(int attempts, Instant firstFailureAt) {
        return new Failure(code, message, retriable, attempts, firstFailureAt);
    }
}
