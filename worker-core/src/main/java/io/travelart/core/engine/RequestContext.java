package io.travelart.core.engine;

import io.travelart.events.RequestBounds;
import org.slf4j.MDC;

/**
 * The request a thread is working on, in the logging context ({@code requestId}), so every line about a
 * request names it. Restores what was there before: a call thread finishing one request may start the next.
 */
public final class RequestContext implements AutoCloseable {

    public static final String KEY = "requestId";

    private final String previous;

    private RequestContext(String requestId) {
        this.previous = MDC.get(KEY);
        if (requestId == null) {
            MDC.remove(KEY);
        } else {
            // An id that is not one (a client's megabyte, a line break) is shown cut and escaped, not copied into every line.
            MDC.put(KEY, RequestBounds.shownId(requestId));
        }
    }

    public static RequestContext of(String requestId) {
        return new RequestContext(requestId);
    }

    @Override
    public void close() {
        if (previous == null) {
            MDC.remove(KEY);
        } else {
            MDC.put(KEY, previous);
        }
    }
}
