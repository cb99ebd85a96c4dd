package io.travelart.core.worker;

/** A worker cannot start; the message is one line saying why and what to do. */
public class StartupException extends RuntimeException {
    public StartupException(String message, Throwable cause) {
        super(message, cause);
    }
}
