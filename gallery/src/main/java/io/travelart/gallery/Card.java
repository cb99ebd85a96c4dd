package io.travelart.gallery;

import io.travelart.core.results.RequestResult;
import io.travelart.events.ImageReady;
import io.travelart.events.RequestFailed;

import java.nio.charset.StandardCharsets;

/**
 * A finished request as the gallery holds it: its result, the order in which the gallery saw it, and its
 * source system (for a failure, read from the original request it carries).
 */
record Card(long seq, RequestResult result, String sourceSystem) implements Shown {

    boolean ready() {
        return result instanceof RequestResult.Ready;
    }

    /** The request id, or for an input that could not be read (no id) its origin, which is unique too. */
    @Override
    public String key() {
        return switch (result) {
            case RequestResult r when r.requestId() != null -> r.requestId();
            case RequestResult.Ready(ImageReady ready) -> ready.getRequestId();
            case RequestResult.Failed(RequestFailed failed) ->
                    "undecodable " + failed.getOriginTopic() + "-" + failed.getOriginPartition() + "@" + failed.getOriginOffset();
        };
    }

    @Override
    public String keyword() {
        return switch (result) {
            case RequestResult.Ready(ImageReady ready) -> ready.getRequest().getKeyword();
            case RequestResult.Failed(RequestFailed failed) when failed.getKeyword() != null -> failed.getKeyword();
            case RequestResult.Failed(RequestFailed failed) -> failed.getOriginalKey() == null ? null
                    : StandardCharsets.UTF_8.decode(failed.getOriginalKey().duplicate()).toString();
        };
    }

    ImageReady readyEvent() {
        return ((RequestResult.Ready) result).event();
    }

    RequestFailed failedEvent() {
        return ((RequestResult.Failed) result).event();
    }
}
