package io.travelart.devstack.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One batch: its lines, how many have run, and where its life is. Guarded by its own lock. */
final class Batch {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One of a batch's validation errors, as the Batch API lists them in {@code errors.data}. */
    record ErrorData(String code, String message, String param, int line) {
    }

    final String id;
    final String endpoint;
    final String inputFileId;
    final JsonNode metadata;
    final Instant created;
    final List<JsonNode> lines;
    final List<SimulatedFiles.Line> output = new ArrayList<>();
    final List<SimulatedFiles.Line> errors = new ArrayList<>();
    List<ErrorData> validation = List.of();
    int run;
    int completed;
    int failed;
    String status = "validating";
    final Map<String, Instant> times = new LinkedHashMap<>();
    String outputFileId;
    String errorFileId;

    Batch(String id, String endpoint, String inputFileId, JsonNode metadata, Instant created, List<JsonNode> lines) {
        this.id = id;
        this.endpoint = endpoint;
        this.inputFileId = inputFileId;
        this.metadata = metadata;
        this.created = created;
        this.lines = lines;
    }

    /** The batch as the Batch API shows it. */
    ObjectNode json() {
        ObjectNode node = JSON.createObjectNode();
        node.put("id", id);
        node.put("object", "batch");
        node.put("endpoint", endpoint);
        node.put("input_file_id", inputFileId);
        node.put("completion_window", "24h");
        node.put("status", status);
        if (outputFileId != null) {
            node.put("output_file_id", outputFileId);
        }
        if (errorFileId != null) {
            node.put("error_file_id", errorFileId);
        }
        node.put("created_at", created.getEpochSecond());
        node.put("expires_at", created.plus(Duration.ofHours(24)).getEpochSecond());
        times.forEach((field, at) -> node.put(field, at.getEpochSecond()));
        node.putObject("request_counts").put("total", lines.size()).put("completed", completed).put("failed", failed);
        if (!validation.isEmpty() && "failed".equals(status)) {
            ObjectNode errors = node.putObject("errors");
            errors.put("object", "list");
            ArrayNode data = errors.putArray("data");
            validation.forEach(e -> data.addObject().put("code", e.code()).put("message", e.message()).put("param", e.param())
                    .put("line", e.line()));
        }
        if (metadata != null && metadata.isObject()) {
            node.set("metadata", metadata);
        }
        return node;
    }
}
