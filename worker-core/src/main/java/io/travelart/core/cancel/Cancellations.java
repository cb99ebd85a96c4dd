package io.travelart.core.cancel;

import java.util.Optional;

/**
 * The requests someone asked to stop, as a stage sees them: asked before each request's call starts (and by the batch
 * lane before a request goes into a batch). What a cancel does not reach: a call already started is paid and its
 * answer kept, since the money is spent and the answer is the one asked for.
 */
@FunctionalInterface
public interface Cancellations {

    /** No request is ever cancelled (the bench's bare engine). */
    Cancellations NONE = requestId -> Optional.empty();

    /** The cancel of this request, if one is known. */
    Optional<Cancellation> of(String requestId);
}
