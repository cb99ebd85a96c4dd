package io.travelart.core.engine;

import io.travelart.core.failure.Failure;

import java.util.function.Function;

/** What a stage made of one input: its output event, or a failure. Nothing is half-failed. */
public sealed interface Outcome<O> permits Outcome.Published, Outcome.Failed {

    record Published<O>(O event) implements Outcome<O> {
    }

    record Failed<O>(Failure failure) implements Outcome<O> {
    }

    static <O> Outcome<O> published(O event) {
        return new Published<>(event);
    }

    static <O> Outcome<O> failed(Failure failure) {
        return new Failed<>(failure);
    }

    /** Java 17 has no pattern switch over sealed types: one of the two functions, without casts. */
    default <T> T fold(Function<O, T> onPublished, Function<Failure, T> onFailed) {
        if (this instanceof Published<O> published) {
            return onPublished.apply(published.event());
        }
        return onFailed.apply(((Failed<O>) this).failure());
    }
}
