package io.travelart.image.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.models.batches.Batch;
import io.travelart.core.engine.Output;
import io.travelart.core.serde.DecodeException;
import io.travelart.core.serde.EventSerde;
import io.travelart.core.time.Time;
import io.travelart.events.PromptCreated;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Function;

/**
 * An ended batch being answered, one chunk at a time: up to {@code TRAVELART_BATCH_CHUNK} lines of its output file, then
 * of its error file, then the requests that have no line, each chunk's outputs written by the lane in one transaction
 * with an {@link BatchRecord#ANSWERING} record saying how far it got (the last one with {@link BatchRecord#DONE}). The
 * file being read stays open from one chunk to the next; what is held is one line at a time, the chunk's outputs, and
 * per request of the batch an entry of its {@link RequestIndex} and a bit saying whether it is answered. Whatever fails
 * drops the whole object: the lane starts again from the last record written, skipping the lines it says were read.
 */
final class Answering implements Closeable {

    /** A chunk's outputs and the batch's record to write with them; {@code done} when it is the last. */
    record Chunk(List<Output.Send> outputs, BatchRecord record, boolean done, int unreadable) {
    }

    private enum Phase { OUTPUT, ERRORS, MISSING, END }

    private final Batch batch;
    private final String status;
    private final RequestIndex index;
    private final PendingReader pending;
    private final BatchResults results;
    private final EventSerde serde;
    private final Function<String, BatchFile> files;
    private final int chunkLines;
    private final Time time;
    private final Instant submitted;
    private BatchRecord record;
    private final BitSet answered;
    private long outputLines;
    private long errorLines;
    private int ready;
    private int failed;
    private double cost;
    private Phase phase = Phase.OUTPUT;
    private BatchFile file;

    /**
     * @param record the batch's latest record: OPEN, or ANSWERING when a lane got some way before
     * @param files  opens a file of the batch by id (a call to the provider, through the lane's gate)
     */
    Answering(BatchRecord record, Batch batch, String status, RequestIndex index, PendingReader pending, BatchResults results,
              EventSerde serde, Function<String, BatchFile> files, int chunkLines, Time time) {
        this.record = record;
        this.batch = batch;
        this.status = status;
        this.index = index;
        this.pending = pending;
        this.results = results;
        this.serde = serde;
        this.files = files;
        this.chunkLines = chunkLines;
        this.time = time;
        this.submitted = Instant.ofEpochMilli(record.submittedAtMs());
        // An OPEN record says nothing read (its counts are 0); its answered places are the requests cancelled before submission.
        this.answered = record.answeredPlaces();
        this.outputLines = record.outputLines();
        this.errorLines = record.errorLines();
        this.ready = record.ready();
        this.failed = record.failed();
        this.cost = record.costUsd();
    }

    String batchId() {
        return record.batchId();
    }

    int partition() {
        return record.partition();
    }

    /** Whether a lane answered part of this batch before (this one is going on from there). */
    boolean resumed() {
        return outputLines > 0 || errorLines > 0 || !answered.isEmpty();
    }

    int requests() {
        return index.size();
    }

    /** The next chunk: what it answers, and the record that says how far the batch is answered with it. */
    Chunk next() {
        List<Output.Send> outputs = new ArrayList<>();
        int lines = 0;
        int unreadable = 0;
        Instant now = time.instant();
        try {
            while (lines < chunkLines && phase != Phase.END) {
                if (phase == Phase.MISSING) {
                    lines += missing(chunkLines - lines, outputs, now);
                    if (!hasMissing()) {
                        phase = Phase.END;
                    }
                    continue;
                }
                BatchFile.Line line = line();
                if (line == null) {
                    continue;
                }
                lines++;
                if (!line.readable()) {
                    unreadable++;
                } else {
                    answer(line.json(), now).ifPresent(outputs::add);
                }
            }
            settle();
        } catch (IOException e) {
            throw new UncheckedIOException("reading the files of " + record.batchId() + " failed: " + e.getMessage(), e);
        }
        BatchRecord progress = record.answering(status, outputLines, errorLines, answered, ready, failed, cost);
        record = phase == Phase.END ? progress.done(status, ready, failed, cost) : progress;
        return new Chunk(outputs, record, phase == Phase.END, unreadable);
    }

    /**
     * A full chunk may have taken the last lines there are: moves on as far as nothing is left to read, so that such a
     * chunk is written with the batch's end rather than leaving it to a chunk of nothing.
     */
    private void settle() throws IOException {
        if (phase == Phase.OUTPUT || phase == Phase.ERRORS) {
            if (file == null || !file.atEnd()) {
                return;
            }
            file.close();
            file = null;
            nextPhase();
        }
        if (phase == Phase.ERRORS && batch.errorFileId().isEmpty()) {
            nextPhase();
        }
        if (phase == Phase.MISSING && !hasMissing()) {
            phase = Phase.END;
        }
    }

    /** The next line of the file being read, counted; null when a file ended (the next phase begins). */
    private BatchFile.Line line() throws IOException {
        if (file == null) {
            Optional<String> id = phase == Phase.OUTPUT ? batch.outputFileId() : batch.errorFileId();
            if (id.isEmpty()) {
                nextPhase();
                return null;
            }
            file = files.apply(id.get());
            file.skip(phase == Phase.OUTPUT ? outputLines : errorLines);
        }
        BatchFile.Line line = file.next();
        if (line == null) {
            file.close();
            file = null;
            nextPhase();
            return null;
        }
        if (phase == Phase.OUTPUT) {
            outputLines++;
        } else {
            errorLines++;
        }
        return line;
    }

    private void nextPhase() {
        phase = phase == Phase.OUTPUT ? Phase.ERRORS : Phase.MISSING;
    }

    /** A line's outcome, unless its request is not in the batch or answered already (a line twice, or in both files). */
    private Optional<Output.Send> answer(JsonNode line, Instant now) {
        String requestId = line.path("custom_id").asText();
        OptionalLong offset = index.offsetOf(requestId);
        if (offset.isEmpty() || answered.get(place(offset.getAsLong()))) {
            return Optional.empty();
        }
        Optional<ConsumerRecord<byte[], byte[]>> origin = pending.get(record, offset.getAsLong());
        Optional<PromptCreated> input = origin.flatMap(this::decode).filter(p -> p.getRequestId().equals(requestId));
        if (input.isEmpty()) {
            return Optional.empty(); // a line of another request whose id shares a hash with one of ours
        }
        BatchResults.Result result = phase == Phase.OUTPUT
                ? results.output(line, input.get(), status, now)
                : results.error(line, status);
        return Optional.of(answered(offset.getAsLong(), origin.get(), input.get(), result, now));
    }

    /** Up to {@code most} requests that have no line, each its failure; returns how many. */
    private int missing(int most, List<Output.Send> outputs, Instant now) {
        BitSet missing = index.requests();
        missing.andNot(answered);
        int taken = 0;
        for (int place = missing.nextSetBit(0); place >= 0 && taken < most; place = missing.nextSetBit(place + 1)) {
            long offset = record.firstOffset() + place;
            Optional<ConsumerRecord<byte[], byte[]>> origin = pending.get(record, offset);
            Optional<PromptCreated> input = origin.flatMap(this::decode);
            if (input.isPresent()) {
                outputs.add(answered(offset, origin.get(), input.get(), results.missing(status), now));
            } else {
                answered.set(place); // read at indexing, gone since (the topic's retention): nothing left to answer
            }
            taken++;
        }
        return taken;
    }

    private boolean hasMissing() {
        BitSet left = index.requests();
        left.andNot(answered);
        return !left.isEmpty();
    }

    private Output.Send answered(long offset, ConsumerRecord<byte[], byte[]> origin, PromptCreated input, BatchResults.Result result,
                                 Instant now) {
        Output.Send send = results.send(origin, input, result, submitted, now);
        answered.set(place(offset));
        cost += result.cost();
        if (send.failed()) {
            failed++;
        } else {
            ready++;
        }
        return send;
    }

    private int place(long offset) {
        return (int) (offset - record.firstOffset());
    }

    private Optional<PromptCreated> decode(ConsumerRecord<byte[], byte[]> origin) {
        try {
            return Optional.of(serde.deserialize(origin.value(), PromptCreated.class));
        } catch (DecodeException e) {
            return Optional.empty();
        }
    }

    @Override
    public void close() {
        pending.forget();
        if (file != null) {
            try {
                file.close();
            } catch (IOException e) {
                // the download is given up either way
            }
            file = null;
        }
    }
}
