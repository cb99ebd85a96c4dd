package io.travelart.core.engine;

import io.travelart.core.failure.Failure;
import org.apache.avro.specific.SpecificRecord;

import java.util.function.Function;

/**
 * What a stage made of one input: its output event, a failure, or the input handed to another topic for a
 * later answer (the image-worker's batch lane). Nothing is half-failed.
 */
public sealed interface Outcome<O> permits Outcome.Published, Outcome.Failed, Outcome.Forwarded {

    record Published<O>(O event) implements Outcome<O> {
    }

    record Failed<O>(Failure failure) implements Outcome<O> {
    }

    /** The input's own event, written to {@code topic} in the same transaction as its offset: someone else answers it. */
    record Forwarded<O>(String topic, SpecificRecord event) implements Outcome<O> {
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

    /** Java 17 has no pattern switch over sealed types: one of the three functions, without casts. */
    default <T> T fold(Function<O, T> onPublished, Function<Failure, T> onFailed, Function<Forwarded<O>, T> onForwarded) {
        if (this instanceof Published<O> published) {
            return onPublished.apply(published.event());
        }
        if (this instanceof Forwarded<O> forwarded) {
            return onForwarded.apply(forwarded);
        }
        return onFailed.apply(((Failed<O>) this).failure());
    }
}
