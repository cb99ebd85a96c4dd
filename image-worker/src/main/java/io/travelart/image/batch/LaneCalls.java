package io.travelart.image.batch;

import io.travelart.core.engine.StageGate;
import io.travelart.core.failure.ErrorClassifier;

import java.util.concurrent.Callable;

/**
 * The lane's calls to the provider through its gate ({@code IMAGE-BATCH}): a failure of the worker met by the lane (the
 * key refused, or without the Batch API's scope; the model gone; the account out of credit) pauses the lane as the
 * stage's gate pauses the stage. While paused it asks the provider nothing but its probes, one call at a time, backing
 * off, until one goes through.
 */
final class LaneCalls {

    private final StageGate gate;
    private final ErrorClassifier errors;

    LaneCalls(StageGate gate, ErrorClassifier errors) {
        this.gate = gate;
        this.errors = errors;
    }

    /**
     * Runs a step that calls the provider if the gate lets it: always while the lane runs; while it is paused, only when
     * the gate picks it as its probe. Returns whether it ran as the probe (then nothing else calls this turn).
     */
    boolean admitted(Runnable step) {
        if (!gate.admit()) {
            return false;
        }
        boolean probe = gate.isPaused();
        try {
            step.run();
        } finally {
            if (probe) {
                gate.probeDone();
            }
        }
        return probe;
    }

    /** A provider call, watched: its success opens a paused gate, a failure of the worker pauses it. */
    <T> T watched(Callable<T> call) {
        try {
            return gate.watch(errors::classify, call);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
