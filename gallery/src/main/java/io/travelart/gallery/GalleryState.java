package io.travelart.gallery;

import io.travelart.core.results.RequestResult;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The cards the gallery shows, newest first, in two lanes: images, and requests whose latest outcome is a
 * failure (an image-ready for a request takes it out of the failures). A request's newer card replaces its
 * older one. At most {@code keep} cards per lane are held; older ones are forgotten.
 */
final class GalleryState {

    private final int keep;
    private final NavigableMap<Long, Card> ready = new TreeMap<>();
    private final NavigableMap<Long, Card> failed = new TreeMap<>();
    private final Map<String, Long> readySeq = new HashMap<>();
    private final Map<String, Long> failedSeq = new HashMap<>();
    private final List<Consumer<Card>> listeners = new CopyOnWriteArrayList<>();
    private long lastSeq;

    GalleryState(int keep) {
        if (keep < 1) {
            throw new IllegalArgumentException("keep must be at least 1");
        }
        this.keep = keep;
    }

    /** Adds a result and tells the listeners, on the caller's thread. */
    Card add(RequestResult result, String sourceSystem) {
        Card card;
        synchronized (this) {
            card = new Card(++lastSeq, result, sourceSystem);
            String key = card.key();
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

    private void put(NavigableMap<Long, Card> lane, Map<String, Long> seqs, String key, Card card) {
        remove(lane, seqs, key);
        lane.put(card.seq(), card);
        seqs.put(key, card.seq());
        while (lane.size() > keep) {
            Card oldest = lane.pollFirstEntry().getValue();
            seqs.remove(oldest.key(), oldest.seq());
        }
    }

    private static void remove(NavigableMap<Long, Card> lane, Map<String, Long> seqs, String key) {
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

    /** Cards of both lanes newer than {@code after}, oldest first: what a viewer that saw up to {@code after} missed. */
    synchronized List<Card> since(long after, Filter filter) {
        List<Card> cards = new ArrayList<>();
        for (NavigableMap<Long, Card> lane : List.of(ready, failed)) {
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

    void listen(Consumer<Card> listener) {
        listeners.add(listener);
    }

    void unlisten(Consumer<Card> listener) {
        listeners.remove(listener);
    }
}
