package io.travelart.core.engine;

/**
 * Why a request could not complete: a stable code an operator filters on (see {@link ErrorCodes}),
 * a message for people, whether a replay of the same input may succeed, and the attempts made.
 */
public record Failure(String code, String message, boolean retriable, int attempts) {

    public static Failure permanent(String code, String message) {
        return new Failure(code, message, false, 1);
    }

    public static Failure retriable(String code, String message) {
        return new Failure(code, message, true, 1);
    }
}
