package io.travelart.core.failure;

import io.travelart.core.failure.Failure;

/** An exception that already knows its failure, so that no classifier has to guess. */
public interface Classified {
    Failure failure();
}
