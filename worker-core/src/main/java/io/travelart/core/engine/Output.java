package io.travelart.core.engine;

import org.apache.kafka.clients.producer.ProducerRecord;

/** What a finished record leaves to publish: one record to send (or none, when it needs no answer), or nothing publishable at all. */
public sealed interface Output permits Output.Send, Output.Unpublishable {

    /**
     * The stage's output or its failure event ({@code failed}), ready to send.
     *
     * @param record      null when the input needs no answer ({@link Outcome.Passed}): only its offset is committed
     * @param failureCode the error code of a request-failed event; null for the stage's output */
    record Send(ProducerRecord<String, byte[]> record, String failureCode) implements Output {
        public boolean failed() {
            return failureCode != null;
        }

        public boolean passed() {
            return record == null;
        }

    }

    /**
     * Not even a failure event could be serialized (the registry unreachable for a schema id not yet
     * cached): the record must be worked on again, not skipped.
     */
    record Unpublishable(String reason) implements Output {
    }
}
