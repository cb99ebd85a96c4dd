package io.travelart.core.engine;

import io.travelart.core.cancel.Cancellation;
import io.travelart.core.cancel.Cancellations;
import io.travelart.core.failure.ErrorCodes;
import io.travelart.core.failure.Failure;
import io.travelart.core.registry.RegistryException;
import io.travelart.core.serde.DecodeException;
import io.travelart.core.serde.EventSerde;
import io.travelart.core.time.Time;
import io.travelart.events.RequestBounds;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Hands records to call slots: up to {@code maxInFlight} stage calls at once, started by the loop thread
 * or by the call thread that has just finished one (so calls keep flowing while the loop commits). A
 * finished call's {@link Output} goes to the loop through {@link #takeFinished}, and the loop is woken.
 * A request someone cancelled ({@link Cancellations}) ends as one {@code CANCELLED} failure instead of starting.
 * The {@link StageGate} decides whether a record may start, and holds the records whose calls failed
 * because of the worker (the key, the model, the account): they wait here, unanswered, for the stage to resume.
 */
final class CallDispatcher<I extends SpecificRecord, O extends SpecificRecord> {

    private static final Logger log = LoggerFactory.getLogger(CallDispatcher.class);

    /** A record taken from Kafka, waiting for a free call slot; {@code probe} when the paused gate let it through to probe. */
    record Work(ConsumerRecord<byte[], byte[]> record, OffsetBook.Ticket<Output.Send> ticket, boolean probe) {
    }

    /** A finished record's output, for the loop thread. */
    record Finished(OffsetBook.Ticket<Output.Send> ticket, Output output) {
    }

    private final Stage<I, O> stage;
    private final Cancellations cancellations;
    private final EventSerde serde;
    private final OutputRecords outputs;
    private final StageGate gate;
    private final Time time;
    private final EngineStats stats;
    private final Runnable wakeLoop;
    private final Semaphore slots;
    /** Records to start, oldest first; one held while the stage is paused goes back to the front. */
    private final ConcurrentLinkedDeque<Work> waiting = new ConcurrentLinkedDeque<>();
    private final ConcurrentLinkedQueue<Finished> finished = new ConcurrentLinkedQueue<>();
    /** Requests to start waiting records; whoever raises it from zero starts them, for all (no recursion). */
    private final AtomicInteger startRequests = new AtomicInteger();
    private final AtomicBoolean loopWoken = new AtomicBoolean();
    private volatile boolean stopped;

    CallDispatcher(Stage<I, O> stage, Cancellations cancellations, EventSerde serde, OutputRecords outputs, StageGate gate, Time time,
                   int maxInFlight, EngineStats stats, Runnable wakeLoop) {
        this.stage = stage;
        this.cancellations = cancellations;
        this.serde = serde;
        this.outputs = outputs;
        this.gate = gate;
        this.time = time;
        this.stats = stats;
        this.wakeLoop = wakeLoop;
        this.slots = new Semaphore(maxInFlight);
    }

    /** Queues a record taken from Kafka (loop thread). */
    void offer(ConsumerRecord<byte[], byte[]> record, OffsetBook.Ticket<Output.Send> ticket) {
        if (!stopped) {
            waiting.add(new Work(record, ticket, false));
        }
    }

    int waiting() {
        return waiting.size();
    }

    boolean hasFinished() {
        return !finished.isEmpty();
    }

    /** Drops every waiting record (their partitions were rewound or the engine stops). */
    void clearWaiting() {
        waiting.clear();
    }

    /** Starts nothing more. */
    void stop() {
        stopped = true;
        waiting.clear();
    }

    /** Before the loop waits in poll: the next finished call wakes it again. */
    void armWakeup() {
        loopWoken.set(false);
    }

    /** The outputs finished since the last call, for the loop thread. */
    List<Finished> takeFinished() {
        List<Finished> taken = new ArrayList<>();
        for (Finished f; (f = finished.poll()) != null; ) {
            taken.add(f);
        }
        return taken;
    }

    /**
     * Starts waiting records while call slots are free. Any thread may ask; if another is starting records
     * already, it takes this request over, so a call that completes inside {@code start} never recurses here.
     */
    void startWaiting() {
        if (startRequests.getAndIncrement() != 0) {
            return;
        }
        // Often runs on a call thread that has just finished another request: what starts here is not about that one.
        try (RequestContext none = RequestContext.of(null)) {
            int requests = 1;
            do {
                startWhileSlotsFree();
                requests = startRequests.addAndGet(-requests);
            } while (requests != 0);
        }
    }

    private void startWhileSlotsFree() {
        while (!stopped && !waiting.isEmpty() && slots.tryAcquire()) {
            Work work = waiting.poll();
            if (work == null) {
                slots.release();
                return;
            }
            if (work.ticket().isStale()) {
                slots.release();
                continue;
            }
            if (!gate.admit()) {
                waiting.addFirst(work);
                slots.release();
                return;
            }
            if (!start(gate.isPaused() ? new Work(work.record(), work.ticket(), true) : work)) {
                return;
            }
        }
    }

    /**
     * Starts one record's call. Never throws: whatever the record makes decoding or the stage's synchronous
     * part throw (an {@link Error} included) ends that record as one failure event, and the stage goes on.
     *
     * @return false when the record could not be started for a reason that is not its own (the registry
     *         cannot be reached for its schema): it waits at the front, and nothing more starts this turn
     */
    private boolean start(Work work) {
        ConsumerRecord<byte[], byte[]> record = work.record();
        I input;
        try {
            input = stage.decode(serde, record);
        } catch (RegistryException e) {
            log.warn("{} stage: the schema of {}-{}@{} cannot be looked up; trying again shortly: {}", stage.name(),
                    record.topic(), record.partition(), record.offset(), e.getMessage());
            if (work.probe()) {
                gate.probeDone();
            }
            waiting.addFirst(new Work(record, work.ticket(), false));
            slots.release();
            return false;
        } catch (DecodeException e) {
            refuse(work, Failure.permanent(ErrorCodes.INGEST, e.getMessage()));
            return true;
        } catch (Throwable e) {
            // Bounded decoding makes this a bug, not a record's doing; still only this record's.
            log.error("{} stage: decoding {}-{}@{} failed unexpectedly", stage.name(), record.topic(), record.partition(),
                    record.offset(), e);
            refuse(work, Failure.permanent(ErrorCodes.INTERNAL, "decoding failed: " + e));
            return true;
        }
        OutputRecords.Request request;
        try {
            request = new OutputRecords.Request(stage.requestId(input), stage.keyword(input), time.instant());
        } catch (Throwable e) {
            log.error("{} stage: reading the request of {}-{}@{} failed unexpectedly", stage.name(), record.topic(),
                    record.partition(), record.offset(), e);
            refuse(work, Failure.permanent(ErrorCodes.INTERNAL, "reading the request failed: " + e));
            return true;
        }
        Optional<Cancellation> cancelled = cancellations.of(request.requestId());
        if (cancelled.isPresent()) {
            log.info("request {} cancelled ({}); ended before its {} call", RequestBounds.shownId(request.requestId()),
                    cancelled.get().describe(), stage.name());
            if (work.probe()) {
                gate.probeDone();
            }
            complete(work, outputs.of(record, Outcome.failed(cancelled.get().failure()),
                    request, time.instant()));
            return true;
        }
        stats.inFlight.incrementAndGet();
        CompletableFuture<Outcome<O>> outcome;
        try (RequestContext context = RequestContext.of(request.requestId())) {
            outcome = stage.process(input);
        } catch (Throwable e) {
            outcome = CompletableFuture.failedFuture(e);
        }
        outcome.whenComplete((result, error) -> {
            try (RequestContext context = RequestContext.of(request.requestId())) {
                finish(work, result, error, request);
            }
        });
        return true;
    }

    /**
     * Ends a record the stage could not start on as one failure event: {@code INGEST} when it cannot be read as the
     * stage's input, {@code INTERNAL} when reading it broke something of ours.
     */
    private void refuse(Work work, Failure failure) {
        ConsumerRecord<byte[], byte[]> record = work.record();
        log.warn("undecodable record {}-{}@{} (key {}): {} {}", record.topic(), record.partition(), record.offset(),
                RequestBounds.shown(OutputRecords.rawKey(record)), failure.code(), failure.message());
        if (work.probe()) {
            gate.probeDone();
        }
        complete(work, outputs.unread(record, failure, time.instant()));
    }

    private void finish(Work work, Outcome<O> result, Throwable error, OutputRecords.Request request) {
        stats.inFlight.decrementAndGet();
        Outcome<O> outcome = result;
        if (error != null) {
            log.error("{} stage failed unexpectedly on request {}", stage.name(), RequestBounds.shownId(request.requestId()), error);
            outcome = Outcome.failed(Failure.permanent(ErrorCodes.INTERNAL, String.valueOf(error)));
        }
        if (work.probe()) {
            gate.probeDone();
        }
        Failure failure = outcome instanceof Outcome.Failed<O> failed ? failed.failure() : null;
        if (failure != null && gate.holds(failure)) {
            // Not the request's failure but the worker's: the record waits, unanswered and uncommitted, for the stage to resume.
            waiting.addFirst(new Work(work.record(), work.ticket(), false));
            slots.release();
            startWaiting();
            return;
        }
        if (failure != null) {
            log.info("request {} failed at {}: {} {} (attempts {})", RequestBounds.shownId(request.requestId()), stage.name(), failure.code(),
                    FailureEvents.cut(failure.message(), FailureEvents.MAX_MESSAGE_CHARS), failure.attempts());
        }
        complete(work, outputs.of(work.record(), outcome, request, time.instant()));
    }

    /** Runs where the call finished: hands the output to the loop thread and takes the next waiting record. */
    private void complete(Work work, Output output) {
        finished.add(new Finished(work.ticket(), output));
        slots.release();
        if (loopWoken.compareAndSet(false, true)) {
            wakeLoop.run();
        }
        startWaiting();
    }
}
