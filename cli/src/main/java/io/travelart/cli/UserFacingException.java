package io.travelart.cli;

/** A command cannot do what was asked; the message is one line for the user. */
final class UserFacingException extends RuntimeException {
    UserFacingException(String message, Throwable cause) {
        super(message, cause);
    }
}
