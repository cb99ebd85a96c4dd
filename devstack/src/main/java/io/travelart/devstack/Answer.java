package io.travelart.devstack;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** What the simulator answers to one call: a status and a JSON body, as an endpoint sends it or a batch line records it. */
record Answer(int status, JsonNode body) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** OpenAI's error shape: {@code {"error": {"message", "type", "param": null, "code"}}}. */
    static Answer error(int status, String type, String code, String message) {
        ObjectNode body = JSON.createObjectNode();
        ObjectNode error = body.putObject("error");
        error.put("message", message);
        error.put("type", type);
        error.putNull("param");
        if (code == null) {
            error.putNull("code");
        } else {
            error.put("code", code);
        }
        return new Answer(status, body);
    }
}
