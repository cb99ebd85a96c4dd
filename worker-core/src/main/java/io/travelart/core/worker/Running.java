package io.travelart.core.worker;

import java.util.concurrent.CompletableFuture;

/** A started program part that runs until closed or until it stops on an error. */
public interface Running extends AutoCloseable {

    /** Completes when it stops; exceptionally if it stopped on an error. */
    CompletableFuture<Void> finished();

    /** Stops gracefully. */
    @Override
    void close();
}
