package io.travelart.core.engine;

import org.apache.kafka.common.KafkaException;

/** A Kafka error after which an engine cannot go on (fenced by another instance, not authorized). */
public final class FatalKafkaException extends KafkaException {
    FatalKafkaException(String message, Throwable cause) {
        super(message, cause);
    }
}
