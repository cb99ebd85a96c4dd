package io.travelart.core.failure;

import java.time.Duration;
import java.util.Optional;

/** Says what an exception from a call means: its failure (code, retriable) and how long the provider asked us to wait. */
public interface ErrorClassifier {

    Failure classify(Throwable error);

    Optional<Duration> retryAfter(Throwable error);
}
