package io.travelart.core.cancel;

import io.travelart.core.failure.ErrorCodes;
import io.travelart.core.failure.Failure;
import io.travelart.events.RequestCancelled;

import java.time.Instant;

/** Someone asked to stop a request: who, when and why (a {@code request-cancelled} record, checked against its bounds). */
public record Cancellation(String requestId, String reason, String cancelledBy, Instant cancelledAt) {

    public static Cancellation of(RequestCancelled event) {
        return new Cancellation(event.getRequestId(), event.getReason(), event.getCancelledBy(), event.getCancelledAt());
    }

    /** What a request ended by it fails with: {@code CANCELLED}, permanent, the message saying who, when and why. */
    public Failure failure() {
        return Failure.permanent(ErrorCodes.CANCELLED, describe());
    }

    /** The failure message of a request ended by it (its fields are within their bounds, free of control characters). */
    public String describe() {
        return "cancelled by " + cancelledBy + " at " + cancelledAt + (reason == null || reason.isBlank() ? "" : ": " + reason.strip());
    }
}
