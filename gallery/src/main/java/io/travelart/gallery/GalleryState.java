package io.travelart.gallery;

import io.travelart.core.results.RequestResult;
import io.travelart.events.KeywordRequested;
import io.travelart.events.Priorities;
import io.travelart.events.RequestBounds;
import io.travelart.events.PromptCreated;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The cards the gallery shows, newest first, in three lanes: images, requests whose latest outcome is a failure (an
 * image-ready for a request takes it out of the failures), and requests on their way ({@link Progress}: their result
 * takes them out). A request's newer card replaces its older one. At most {@code keep} cards per lane are held; older
 * ones are forgotten. The events of one request come from several topics, read in no particular order between them:
 * a request whose result has been read gets no progress card from an earlier event read after it.
 */
final class GalleryState {

    private final int keep;
    private final NavigableMap<Long, Card> ready = new TreeMap<>();
    private final NavigableMap<Long, Card> failed = new TreeMap<>();
    private final Map<String, Long> readySeq = new HashMap<>();
    private final Map<String, Long> failedSeq = new HashMap<>();
    private final NavigableMap<Long, Progress> progress = new TreeMap<>();
    private final Map<String, Long> progressSeq = new HashMap<>();
    /** The requests whose result has been read, the latest {@link #maxEnded}: their earlier events make no progress card. */
    private final Set<String> ended = new LinkedHashSet<>();
    private final int maxEnded;
    private final List<Consumer<Shown>> listeners = new CopyOnWriteArrayList<>();
    private long lastSeq;

    GalleryState(int keep) {
        if (keep < 1) {
            throw new IllegalArgumentException("keep must be at least 1");
        }
        this.keep = keep;
        this.maxEnded = Math.max(100_000, 4 * keep);
    }

    /** Adds a result and tells the listeners, on the caller's thread. */
    Card add(RequestResult result, String sourceSystem) {
        Card card;
        synchronized (this) {
            card = new Card(++lastSeq, result, sourceSystem);
            String key = card.key();
            remove(progress, progressSeq, key);
            ended.remove(key);
            ended.add(key);
            if (ended.size() > maxEnded) {
                ended.remove(ended.iterator().next());
            }
            if (card.ready()) {
                remove(failed, failedSeq, key);
                put(ready, readySeq, key, card);
            } else {
                put(failed, failedSeq, key, card);
            }
        }
        listeners.forEach(listener -> listener.accept(card));
        return card;
    }

    /** A request asked for: its card says the prompt is being written, unless the gallery knows more of it already. */
    Optional<Progress> asked(KeywordRequested request) {
        String id = request.getRequestId();
        Progress card;
        synchronized (this) {
            // An id that is not one is the prompt-worker's to fail at once: no card on its way.
            if (!RequestBounds.isRequestId(id) || ended.contains(id) || progressSeq.containsKey(id)) {
                return Optional.empty();
            }
            card = new Progress(++lastSeq, id, request.getKeyword(), request.getSourceSystem(), Progress.Step.WRITING_PROMPT,
                    request.getRequestedAt(), null);
            put(progress, progressSeq, id, card);
        }
        listeners.forEach(listener -> listener.accept(card));
        return Optional.of(card);
    }

    /** A request's prompt written: drawing (or waiting for a batch), unless its result is in already. */
    Optional<Progress> prompted(PromptCreated created) {
        String id = created.getRequestId();
        KeywordRequested request = created.getRequest();
        Progress card;
        synchronized (this) {
            if (!RequestBounds.isRequestId(id) || ended.contains(id)) {
                return Optional.empty();
            }
            Progress.Step step = Priorities.BATCH.equals(Priorities.of(request)) ? Progress.Step.WAITING_FOR_BATCH : Progress.Step.DRAWING;
            card = new Progress(++lastSeq, id, request.getKeyword(), request.getSourceSystem(), step, created.getCreatedAt(),
                    created.getPrompt());
            put(progress, progressSeq, id, card);
        }
        listeners.forEach(listener -> listener.accept(card));
        return Optional.of(card);
    }

    private <C extends Shown> void put(NavigableMap<Long, C> lane, Map<String, Long> seqs, String key, C card) {
        remove(lane, seqs, key);
        lane.put(card.seq(), card);
        seqs.put(key, card.seq());
        while (lane.size() > keep) {
            C oldest = lane.pollFirstEntry().getValue();
            seqs.remove(oldest.key(), oldest.seq());
        }
    }

    private static void remove(NavigableMap<Long, ? extends Shown> lane, Map<String, Long> seqs, String key) {
        Long seq = seqs.remove(key);
        if (seq != null) {
            lane.remove(seq);
        }
    }

    /** Up to {@code limit} cards of a lane older than {@code before} (exclusive), newest first. */
    synchronized List<Card> page(boolean readyLane, Filter filter, long before, int limit) {
        List<Card> cards = new ArrayList<>(Math.min(limit, 256));
        for (Card card : (readyLane ? ready : failed).headMap(before, false).descendingMap().values()) {
            if (cards.size() >= limit) {
                break;
            }
            if (filter.matches(card)) {
                cards.add(card);
            }
        }
        return cards;
    }

    /** Up to {@code limit} requests on their way, newest first. */
    synchronized List<Progress> progress(Filter filter, int limit) {
        return progress.descendingMap().values().stream().filter(filter::matches).limit(limit).toList();
    }

    /** Cards of every lane newer than {@code after}, oldest first: what a viewer that saw up to {@code after} missed. */
    synchronized List<Shown> since(long after, Filter filter) {
        List<Shown> cards = new ArrayList<>();
        for (NavigableMap<Long, ? extends Shown> lane : List.of(ready, failed, progress)) {
            lane.tailMap(after, false).values().stream().filter(filter::matches).forEach(cards::add);
        }
        cards.sort((a, b) -> Long.compare(a.seq(), b.seq()));
        return cards;
    }

    synchronized long lastSeq() {
        return lastSeq;
    }

    synchronized int count(boolean readyLane, Filter filter) {
        return (int) (readyLane ? ready : failed).values().stream().filter(filter::matches).count();
    }

    void listen(Consumer<Shown> listener) {
        listeners.add(listener);
    }

    void unlisten(Consumer<Shown> listener) {
        listeners.remove(listener);
    }
}
