package io.travelart.core.serde;

/** The bytes are not an event we can read: wrong magic byte, unknown schema id, or not valid Avro. */
public class DecodeException extends RuntimeException {
    public DecodeException(String message, Throwable cause) {
        super(message, cause);
    }

    public DecodeException(String message) {
        super(message);
    }
}
