package io.travelart.core.engine;

import io.travelart.core.failure.Failure;
import org.apache.avro.specific.SpecificRecord;


/**
 * What a stage made of one input: its output event, a failure, the input handed to another topic for a
 * later answer (the image-worker's batch lane), or nothing to publish at all. Nothing is half-failed.
 */
public sealed interface Outcome<O> permits Outcome.Published, Outcome.Failed, Outcome.Forwarded, Outcome.Passed {

    record Published<O>(O event) implements Outcome<O> {
    }

    record Failed<O>(Failure failure) implements Outcome<O> {
    }

    /** The input's own event, written to {@code topic} in the same transaction as its offset: someone else answers it. */
    record Forwarded<O>(String topic, SpecificRecord event) implements Outcome<O> {
    }

    /**
     * Nothing to publish: the input was not this stage's to answer (the webhook stage, for an event of a source system
     * with no endpoint). Only its offset is committed.
     */
    record Passed<O>(String why) implements Outcome<O> {
    }

    static <O> Outcome<O> passed(String why) {
        return new Passed<>(why);
    }

    static <O> Outcome<O> forwarded(String topic, SpecificRecord event) {
        return new Forwarded<>(topic, event);
    }

    static <O> Outcome<O> published(O event) {
        return new Published<>(event);
    }

    static <O> Outcome<O> failed(Failure failure) {
        return new Failed<>(failure);
    }
}
