package io.travelart.core.registry;

/**
 * The registry answered with an error, or could not be reached ({@code status} 0).
 * {@code errorCode} is the Confluent error code when the registry gave one (Apicurio gives 0 for a 409).
 */
public class RegistryException extends RuntimeException {
    private final int status;
    private final int errorCode;

    public RegistryException(int status, int errorCode, String message) {
        super(message);
        this.status = status;
        this.errorCode = errorCode;
    }

    public RegistryException(String message, Throwable cause) {
        super(message, cause);
        this.status = 0;
        this.errorCode = 0;
    }

    public int status() {
        return status;
    }

    public int errorCode() {
        return errorCode;
    }

    /** The schema is not compatible with the subject's earlier versions. */
    public boolean isIncompatible() {
        return status == 409;
    }

    public boolean isNotFound() {
        return status == 404;
    }
}
