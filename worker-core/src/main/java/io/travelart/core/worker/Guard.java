package io.travelart.core.worker;

import io.travelart.core.call.RateLimiter;
import io.travelart.core.call.RetryPolicy;
import io.travelart.core.engine.StageGate;
import io.travelart.core.failure.ErrorClassifier;

import java.util.concurrent.Callable;

/**
 * What every paid call of a stage goes through, whatever its port (a prompt writer, a moderator, an image generator):
 * the retry policy around the call, and for each attempt a permit of the instance's rate limit (a 429 holds every
 * caller off) and the stage's gate (a failure of the worker, such as a refused key or a model gone, pauses the stage).
 * What fails for good is thrown as a {@code CallFailedException}.
 */
public final class Guard {

    private final RetryPolicy retry;
    private final StageGate gate;
    private final ErrorClassifier errors;

    public Guard(RetryPolicy retry, StageGate gate, ErrorClassifier errors) {
        this.retry = retry;
        this.gate = gate;
        this.errors = errors;
    }

    /** A call that takes one permit of {@code limit} per attempt. */
    public <T> T call(RateLimiter limit, Callable<T> attempt) {
        return retry.call(() -> limit.call(1, errors, () -> gate.watch(errors::classify, attempt)));
    }

    /** A call with no rate limit of its own (a free check), still retried and watched by the gate. */
    public <T> T call(Callable<T> attempt) {
        return retry.call(() -> gate.watch(errors::classify, attempt));
    }
}
