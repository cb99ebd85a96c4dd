package io.travelart.core.cancel;

import io.travelart.events.RequestCancelled;

import java.time.Instant;

/** Someone asked to stop a request: who, when and why (a {@code request-cancelled} record, checked against its bounds). */
public record Cancellation(String requestId, String reason, String cancelledBy, Instant cancelledAt) {

    public static Cancellation of(RequestCancelled event) {
        return new Cancellation(event.getRequestId(), event.getReason(), event.getCancelledBy(), event.getCancelledAt());
    }

    /** The failure message of a request ended by it (its fields are within their bounds, free of control characters). */
    public String describe() {
        return "cancelled by " + cancelledBy + " at " + cancelledAt + (reason == null || reason.isBlank() ? "" : ": " + reason.strip());
    }
}
