package io.travelart.core.results;

import io.travelart.events.ImageReady;
import io.travelart.events.RequestFailed;

/** How a request ended: image-ready, or request-failed. */
public sealed interface RequestResult permits RequestResult.Ready, RequestResult.Failed {

    String requestId();

    record Ready(ImageReady event) implements RequestResult {
        @Override
        public String requestId() {
            return event.getRequestId();
        }
    }

    record Failed(RequestFailed event) implements RequestResult {
        @Override
        public String requestId() {
            return event.getRequestId();
        }
    }
}
