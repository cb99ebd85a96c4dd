package io.travelart.devstack.openai;

import io.travelart.devstack.openai.OpenAiSimulator.Endpoint;
import io.travelart.devstack.openai.OpenAiSimulator.Exchange;

import java.util.Deque;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the simulator was asked and what it answered: the calls and the billed calls of each endpoint by request id (so
 * a test proves nothing was paid twice), the calls in flight, the 429s and faults it gave, and the last exchanges.
 */
final class CallLedger {

    private static final int RECENT = 200;

    private final Map<Endpoint, Map<String, AtomicLong>> calls = new EnumMap<>(Endpoint.class);
    private final Map<Endpoint, Map<String, AtomicLong>> billed = new EnumMap<>(Endpoint.class);
    private final Map<Endpoint, AtomicLong> inFlight = new EnumMap<>(Endpoint.class);
    private final AtomicLong rateLimited = new AtomicLong();
    private final AtomicLong faulted = new AtomicLong();
    private final Deque<Exchange> recent = new ConcurrentLinkedDeque<>();

    CallLedger() {
        for (Endpoint e : Endpoint.values()) {
            calls.put(e, new ConcurrentHashMap<>());
            billed.put(e, new ConcurrentHashMap<>());
            inFlight.put(e, new AtomicLong());
        }
    }

    void called(Endpoint endpoint, String requestId) {
        count(calls, endpoint, requestId);
    }

    void bill(Endpoint endpoint, String requestId) {
        count(billed, endpoint, requestId);
    }

    long calls(Endpoint endpoint, String requestId) {
        return get(calls, endpoint, requestId);
    }

    long billed(Endpoint endpoint, String requestId) {
        return get(billed, endpoint, requestId);
    }

    long totalCalls(Endpoint endpoint) {
        return calls.get(endpoint).values().stream().mapToLong(AtomicLong::get).sum();
    }

    void started(Endpoint endpoint) {
        inFlight.get(endpoint).incrementAndGet();
    }

    void ended(Endpoint endpoint) {
        inFlight.get(endpoint).decrementAndGet();
    }

    long inFlight(Endpoint endpoint) {
        return inFlight.get(endpoint).get();
    }

    void rateLimited() {
        rateLimited.incrementAndGet();
    }

    long rateLimitedCalls() {
        return rateLimited.get();
    }

    void faulted() {
        faulted.incrementAndGet();
    }

    long faultedCalls() {
        return faulted.get();
    }

    /** An exchange answered, kept among the last {@value #RECENT}. */
    void answered(Exchange exchange) {
        recent.addLast(exchange);
        while (recent.size() > RECENT) {
            recent.pollFirst();
        }
    }

    List<Exchange> recent() {
        return List.copyOf(recent);
    }

    private static void count(Map<Endpoint, Map<String, AtomicLong>> counter, Endpoint endpoint, String requestId) {
        counter.get(endpoint).computeIfAbsent(requestId == null ? "" : requestId, k -> new AtomicLong()).incrementAndGet();
    }

    private static long get(Map<Endpoint, Map<String, AtomicLong>> counter, Endpoint endpoint, String requestId) {
        AtomicLong n = counter.get(endpoint).get(requestId);
        return n == null ? 0 : n.get();
    }
}
