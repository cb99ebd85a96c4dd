package io.travelart.core.engine;

import org.apache.avro.specific.SpecificRecord;

import java.util.concurrent.CompletableFuture;

/**
 * One step of the pipeline: turns an input event into an output event or a failure. Implementations
 * run their slow work on their own executors and complete the future; the engine does the Kafka side.
 */
public interface Stage<I extends SpecificRecord, O extends SpecificRecord> {

    /** Stage name as it appears in {@code RequestFailed.stage}: PROMPT or IMAGE. */
    String name();

    Class<I> inputType();

    String requestId(I input);

    String keyword(I input);

    CompletableFuture<Outcome<O>> process(I input);
}
