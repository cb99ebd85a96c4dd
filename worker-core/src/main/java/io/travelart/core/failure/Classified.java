package io.travelart.core.failure;

/** An exception that already knows its failure, so that no classifier has to guess. */
public interface Classified {
    Failure failure();
}
