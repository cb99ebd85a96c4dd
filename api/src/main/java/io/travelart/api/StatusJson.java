package io.travelart.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.travelart.core.json.Json;
import io.travelart.core.results.RequestStatus;

/** A request's status as JSON: what {@code travelart status --json} prints and {@code GET /v1/requests/{id}} answers. */
public final class StatusJson {

    private static final ObjectMapper JSON = Json.mapper();

    private StatusJson() {
    }

    public static ObjectNode of(RequestStatus s) {
        ObjectNode node = JSON.createObjectNode().put("requestId", s.requestId()).put("state", s.state().name())
                .put("final", s.state().isFinal());
        s.keyword().ifPresent(k -> node.put("keyword", k));
        s.sourceSystem().ifPresent(k -> node.put("sourceSystem", k));
        var steps = node.putArray("steps");
        s.steps().forEach(step -> steps.addObject().put("what", step.what()).put("at", step.at().toString()));
        node.put("costUsd", Math.round(s.costUsd() * 1e6) / 1e6);
        s.batchId().ifPresent(b -> node.put("batchId", b));
        s.ready().ifPresent(r -> node.put("imageUrl", r.getImageUrl()));
        s.failure().ifPresent(f -> node.putObject("failure").put("stage", f.getStage()).put("errorCode", f.getErrorCode())
                .put("retriable", f.getRetriable()).put("message", f.getMessage()));
        return node;
    }
}
