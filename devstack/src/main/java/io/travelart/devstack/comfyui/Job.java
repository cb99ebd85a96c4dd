package io.travelart.devstack.comfyui;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;

/** A queued job: its number in the queue, its prompt id, the graph and extra data it was queued with, its output nodes. */
record Job(long number, String promptId, ObjectNode graph, ObjectNode extraData, List<String> outputs, long epoch) {
    String requestId() {
        return extraData.path("travelart_request_id").asText(null);
    }
}
