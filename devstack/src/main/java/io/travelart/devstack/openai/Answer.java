package io.travelart.devstack.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.io.OutputStream;

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

    /** 403 as OpenAI answers a key without the scope an endpoint needs (a restricted project key). */
    static Answer forbidden(String scope) {
        return error(403, "invalid_request_error", null,
                "You have insufficient permissions for this operation. Missing scopes: " + scope + ".");
    }

    /** Writes this answer as the exchange's response: JSON, with its length. */
    void sendTo(HttpExchange exchange) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
