package io.travelart.core.call;

import io.travelart.core.engine.Failure;

/** An exception that already knows its failure, so that no classifier has to guess. */
public interface Classified {
    Failure failure();
}
