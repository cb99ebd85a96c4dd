package io.travelart.gallery;

/**
 * What the page shows of one request: a finished one ({@link Card}: its image or its failure) or one on its way
 * ({@link Progress}). Each carries the order in which the gallery saw it, which the live stream resumes from.
 */
sealed interface Shown permits Card, Progress {

    long seq();

    /** The request id (or, for an input that could not be read, its origin): one card per request. */
    String key();

    String keyword();

    String sourceSystem();
}
