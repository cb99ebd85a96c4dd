package io.travelart.core.kafka;

/** Kafka cannot be reached, or the topics are not as needed; the message is one line for people. */
public class KafkaSetupException extends RuntimeException {
    public KafkaSetupException(String message) {
        super(message);
    }

    public KafkaSetupException(String message, Throwable cause) {
        super(message, cause);
    }
}
