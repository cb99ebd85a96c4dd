package io.travelart.core.engine;

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
}
