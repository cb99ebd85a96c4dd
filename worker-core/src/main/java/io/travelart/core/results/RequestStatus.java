package io.travelart.core.results;

import io.travelart.core.failure.ErrorCodes;
import io.travelart.core.config.Topics;
import io.travelart.core.metrics.PriceTable;
import io.travelart.core.serde.EventSerde;
import io.travelart.events.ImageReady;
import io.travelart.events.KeywordRequested;
import io.travelart.events.Priorities;
import io.travelart.events.PromptCreated;
import io.travelart.events.RequestCancelled;
import io.travelart.events.RequestFailed;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Where one request is, told by its events alone: asked for, its prompt written, drawing (or waiting for a batch, or in
 * batch B), ready, failed, or cancelled (a cancel asked for is a step; the request is cancelled once a stage ended it); with the time of each step and what it has cost so far. Built by {@link Fold}, which takes
 * the request's events in the order they were written.
 *
 * @param costUsd the estimated cost of the calls paid so far: the prompt once written, the image once ready (at half
 *                price from a batch)
 */
public record RequestStatus(String requestId, State state, Optional<String> keyword, Optional<String> sourceSystem, List<Step> steps,
                            double costUsd, Optional<String> batchId, Optional<ImageReady> ready, Optional<RequestFailed> failure) {

    public enum State {
        WRITING_PROMPT("writing the prompt"),
        DRAWING("drawing"),
        WAITING_FOR_BATCH("waiting for a batch"),
        IN_BATCH("in a batch"),
        READY("ready"),
        FAILED("failed"),
        /** Ended by a cancel before its next paid call (a failure with code {@code CANCELLED}). */
        CANCELLED("cancelled");

        private final String words;

        State(String words) {
            this.words = words;
        }

        /** As a person says it. */
        public String words() {
            return words;
        }

        public boolean isFinal() {
            return this == READY || this == FAILED || this == CANCELLED;
        }
    }

    /** A step of the request's journey and when its event was written. */
    public record Step(String what, Instant at) {
    }

    /**
     * One event of a request, decoded, with the time it was written. The order of the kinds is the order in which a
     * request's events are written when they carry the same time (a stage's output after its input).
     */
    public sealed interface Event {
        Instant at();

        /** The order of the kinds, for events written at the same time. */
        default int rank() {
            return switch (this) {
                case Requested r -> 0;
                case CancelAsked c -> 1;
                case Prompted p -> 2;
                case Pending p -> 3;
                case Batched b -> 4;
                case Failed f -> 5;
                case Ready r -> 6;
            };
        }

        record Requested(KeywordRequested event, Instant at) implements Event {
        }

        /** A cancel asked for; {@code event} null for its withdrawal. */
        record CancelAsked(RequestCancelled event, Instant at) implements Event {
        }

        record Prompted(PromptCreated event, Instant at) implements Event {
        }

        record Pending(Instant at) implements Event {
        }

        record Batched(String batchId, Instant at) implements Event {
        }

        record Failed(RequestFailed event, Instant at) implements Event {
        }

        record Ready(ImageReady event, Instant at) implements Event {
        }
    }

    /**
     * A record of one of the pipeline's topics as the request's event (a tombstone on request-cancelled is a withdrawal);
     * empty for any other topic.
     *
     * @throws io.travelart.core.serde.DecodeException when it is not that topic's event (a null value included)
     * @throws io.travelart.core.registry.RegistryException when its schema cannot be looked up now
     */
    public static Optional<Event> decode(Topics topics, EventSerde serde, String topic, byte[] value, Instant at) {
        if (topic.equals(topics.requestCancelled())) {
            return Optional.of(new Event.CancelAsked(value == null ? null : serde.deserialize(value, RequestCancelled.class), at));
        }
        if (topic.equals(topics.keywordRequested())) {
            return Optional.of(new Event.Requested(serde.deserialize(value, KeywordRequested.class), at));
        }
        if (topic.equals(topics.promptCreated())) {
            return Optional.of(new Event.Prompted(serde.deserialize(value, PromptCreated.class), at));
        }
        if (topic.equals(topics.imageReady())) {
            return Optional.of(new Event.Ready(serde.deserialize(value, ImageReady.class), at));
        }
        if (topic.equals(topics.requestFailed())) {
            return Optional.of(new Event.Failed(serde.deserialize(value, RequestFailed.class), at));
        }
        return Optional.empty();
    }

    /** The status of a request from its events in any order: sorted by when they were written, then folded. */
    public static Optional<RequestStatus> of(String requestId, PriceTable prices, java.util.Collection<Event> events) {
        List<Event> sorted = new ArrayList<>(events);
        sorted.sort(java.util.Comparator.comparing(Event::at).thenComparingInt(Event::rank));
        Fold fold = new Fold(requestId, prices);
        for (Event e : sorted) {
            switch (e) {
                case Event.Requested(KeywordRequested event, Instant at) -> fold.requested(event, at);
                case Event.CancelAsked(RequestCancelled event, Instant at) -> fold.cancelAsked(event, at);
                case Event.Prompted(PromptCreated event, Instant at) -> fold.prompted(event, at);
                case Event.Pending(Instant at) -> fold.pending(at);
                case Event.Batched(String batchId, Instant at) -> fold.batched(batchId, at);
                case Event.Failed(RequestFailed event, Instant at) -> fold.failed(event, at);
                case Event.Ready(ImageReady event, Instant at) -> fold.ready(event, at);
            }
        }
        return fold.status();
    }

    /**
     * Folds a request's events, given in the order they were written, into its status. A failure is not the end: a
     * replayed request is asked for again and may end ready. Ready is the end: an event of a redelivery after it (a
     * second image-ready, say) changes nothing.
     */
    public static final class Fold {
        private final String requestId;
        private final PriceTable prices;
        private final List<Step> steps = new ArrayList<>();
        private State state;
        private String keyword;
        private String sourceSystem;
        private double promptCost;
        private double cost;
        private String batchId;
        private ImageReady ready;
        private RequestFailed failure;

        public Fold(String requestId, PriceTable prices) {
            this.requestId = requestId;
            this.prices = prices;
        }

        private boolean over() {
            return state == State.READY;
        }

        private void step(State next, String what, Instant at) {
            state = next;
            steps.add(new Step(what, at));
        }

        public Fold requested(KeywordRequested event, Instant at) {
            if (!over()) {
                keyword = event.getKeyword();
                sourceSystem = event.getSourceSystem();
                step(State.WRITING_PROMPT, state == State.FAILED || state == State.CANCELLED ? "asked for again (replayed)" : "asked for", at);
                failure = null;
            }
            return this;
        }

        public Fold prompted(PromptCreated event, Instant at) {
            if (!over()) {
                keyword = event.getRequest().getKeyword();
                sourceSystem = event.getRequest().getSourceSystem();
                promptCost = prices.promptCost(event.getModel(), event.getUsage());
                cost = promptCost;
                boolean batch = Priorities.BATCH.equals(event.getRequest().getPriority());
                step(batch ? State.WAITING_FOR_BATCH : State.DRAWING, "prompt written", at);
                failure = null;
            }
            return this;
        }

        /** Its pending record was written: it waits for the batch lane to gather a batch (again, when its batch's model refused). */
        public Fold pending(Instant at) {
            if (!over()) {
                step(State.WAITING_FOR_BATCH, "waiting for a batch", at);
            }
            return this;
        }

        /** A batch holding it was submitted to the provider. */
        public Fold batched(String id, Instant at) {
            if (!over()) {
                batchId = id;
                step(State.IN_BATCH, "in batch " + id, at);
            }
            return this;
        }

        public Fold ready(ImageReady event, Instant at) {
            if (!over()) {
                keyword = event.getRequest().getKeyword();
                sourceSystem = event.getRequest().getSourceSystem();
                ready = event;
                cost = prices.requestCost(event);
                step(State.READY, "ready", at);
                failure = null;
            }
            return this;
        }

        public Fold failed(RequestFailed event, Instant at) {
            if (!over()) {
                if (keyword == null) {
                    keyword = event.getKeyword();
                }
                failure = event;
                if (ErrorCodes.CANCELLED.equals(event.getErrorCode())) {
                    step(State.CANCELLED, "cancelled at " + event.getStage() + ", before its call", at);
                } else {
                    step(State.FAILED, "failed at " + event.getStage() + ": " + event.getErrorCode(), at);
                }
            }
            return this;
        }

        /**
         * A cancel was asked for ({@code event}), or withdrawn (null): a step, not a state. The request is cancelled once a
         * stage ends it; a call already started goes on, and the request may still end ready.
         */
        public Fold cancelAsked(RequestCancelled event, Instant at) {
            if (state != null && !over()) {
                steps.add(new Step(event == null ? "cancel withdrawn" : "cancel asked for by " + event.getCancelledBy()
                        + (event.getReason() == null ? "" : ": " + event.getReason()), at));
            }
            return this;
        }

        /** The status, or empty when no event of the request was seen. */
        public Optional<RequestStatus> status() {
            if (state == null) {
                return Optional.empty();
            }
            return Optional.of(new RequestStatus(requestId, state, Optional.ofNullable(keyword), Optional.ofNullable(sourceSystem),
                    List.copyOf(steps), cost, Optional.ofNullable(batchId), Optional.ofNullable(ready), Optional.ofNullable(failure)));
        }
    }
}
