package io.travelart.devstack.comfyui;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What {@code POST /prompt} checks of a graph before it queues it, as ComfyUI does for the nodes of a text-to-image
 * workflow: every node of a known type, at least one output node, model files that are installed, edges within
 * ComfyUI's bounds and integer seeds. Its errors have ComfyUI's shape ({@code error}, {@code node_errors}).
 */
final class WorkflowCheck {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Node types this simulator knows, with what each needs; any other type is refused as ComfyUI refuses an unknown node. */
    private static final Set<String> NODE_TYPES = Set.of("CheckpointLoaderSimple", "UNETLoader", "CLIPTextEncode", "EmptyLatentImage",
            "EmptySD3LatentImage", "KSampler", "KSamplerAdvanced", "VAEDecode", "SaveImage", "PreviewImage");
    private static final Set<String> OUTPUT_NODES = Set.of("SaveImage", "PreviewImage");
    private static final int MAX_RESOLUTION = 16384;

    /** The graph is queued with its output nodes, or refused with ComfyUI's error body. */
    sealed interface Result permits Accepted, Refused {
    }

    record Accepted(List<String> outputs) implements Result {
    }

    record Refused(ObjectNode body) implements Result {
    }

    private final Set<String> models;

    /** @param models the model files installed ({@code ckpt_name}/{@code unet_name} values that validate) */
    WorkflowCheck(Set<String> models) {
        this.models = models;
    }

    Result check(ObjectNode graph) {
        ObjectNode nodeErrors = JSON.createObjectNode();
        List<String> outputs = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = graph.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> node = it.next();
            String type = node.getValue().path("class_type").asText("");
            if (!NODE_TYPES.contains(type)) {
                return new Refused(error("invalid_prompt", "Cannot execute because node " + type + " does not exist.",
                        "Node ID '#" + node.getKey() + "'", JSON.createObjectNode()));
            }
            if (OUTPUT_NODES.contains(type)) {
                outputs.add(node.getKey());
            }
            validate(node.getKey(), type, node.getValue().path("inputs"), nodeErrors);
        }
        if (outputs.isEmpty()) {
            return new Refused(error("prompt_no_outputs", "Prompt has no outputs", "", JSON.createObjectNode()));
        }
        if (!nodeErrors.isEmpty()) {
            nodeErrors.fields().forEachRemaining(e -> ((ObjectNode) e.getValue()).set("dependent_outputs", JSON.valueToTree(outputs)));
            return new Refused(error("prompt_outputs_failed_validation", "Prompt outputs failed validation", "", nodeErrors));
        }
        return new Accepted(List.copyOf(outputs));
    }

    private void validate(String id, String type, JsonNode inputs, ObjectNode nodeErrors) {
        List<ObjectNode> errors = new ArrayList<>();
        for (String modelInput : List.of("ckpt_name", "unet_name")) {
            if (inputs.has(modelInput) && !models.contains(inputs.path(modelInput).asText())) {
                ObjectNode error = inputError("value_not_in_list", "Value not in list",
                        modelInput + ": '" + inputs.path(modelInput).asText() + "' not in " + models.stream().sorted().toList(),
                        modelInput, inputs.path(modelInput));
                errors.add(error);
            }
        }
        if (type.startsWith("Empty")) {
            for (String edge : List.of("width", "height")) {
                JsonNode value = inputs.path(edge);
                if (!value.isIntegralNumber()) {
                    errors.add(inputError("invalid_input_type", "Failed to convert an input value to a INT value",
                            edge + ", " + value + ", expected an integer", edge, value));
                } else if (value.asLong() > MAX_RESOLUTION) {
                    errors.add(inputError("value_bigger_than_max", "Value " + value.asLong() + " bigger than max of " + MAX_RESOLUTION,
                            edge, edge, value));
                } else if (value.asLong() < 16) {
                    errors.add(inputError("value_smaller_than_min", "Value " + value.asLong() + " smaller than min of 16", edge, edge, value));
                }
            }
        }
        if (type.startsWith("KSampler") && inputs.has("seed") && !inputs.path("seed").isIntegralNumber()) {
            errors.add(inputError("invalid_input_type", "Failed to convert an input value to a INT value",
                    "seed, " + inputs.path("seed") + ", expected an integer", "seed", inputs.path("seed")));
        }
        if (!errors.isEmpty()) {
            ObjectNode node = nodeErrors.putObject(id);
            node.set("errors", JSON.valueToTree(errors));
            node.put("class_type", type);
        }
    }

    private static ObjectNode inputError(String type, String message, String details, String input, JsonNode received) {
        ObjectNode error = JSON.createObjectNode();
        error.put("type", type);
        error.put("message", message);
        error.put("details", details);
        ObjectNode extra = error.putObject("extra_info");
        extra.put("input_name", input);
        extra.set("received_value", received);
        return error;
    }

    static ObjectNode error(String type, String message, String details, ObjectNode nodeErrors) {
        ObjectNode body = JSON.createObjectNode();
        ObjectNode error = body.putObject("error");
        error.put("type", type);
        error.put("message", message);
        error.put("details", details);
        error.putObject("extra_info");
        body.set("node_errors", nodeErrors);
        return body;
    }
}
