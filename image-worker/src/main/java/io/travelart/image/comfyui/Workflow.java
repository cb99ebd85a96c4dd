package io.travelart.image.comfyui;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.travelart.core.config.ConfigException;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An operator's ComfyUI workflow in its API format (the graph {@code POST /prompt} takes: node id →
 * {@code class_type} and {@code inputs}), with placeholders Travelart fills per request. A string input that is
 * exactly a placeholder becomes the value itself (a number for {@code {{width}}}, {@code {{height}}} and
 * {@code {{seed}}}); a placeholder inside a longer string, such as {@code "travelart/{{request_id}}"} for
 * {@code SaveImage}'s {@code filename_prefix}, is replaced as text. {@code {{prompt}}} is required; the others are
 * {@code {{negative_prompt}}}, {@code {{width}}}, {@code {{height}}}, {@code {{seed}}} and {@code {{request_id}}}.
 */
public final class Workflow {

    public static final String PROMPT = "prompt";
    public static final String NEGATIVE_PROMPT = "negative_prompt";
    public static final String WIDTH = "width";
    public static final String HEIGHT = "height";
    public static final String SEED = "seed";
    public static final String REQUEST_ID = "request_id";
    private static final Set<String> NAMES = Set.of(PROMPT, NEGATIVE_PROMPT, WIDTH, HEIGHT, SEED, REQUEST_ID);
    private static final Set<String> NUMBERS = Set.of(WIDTH, HEIGHT, SEED);
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{\\s*([a-z_]+)\\s*}}");
    /** The inputs of ComfyUI's loader nodes that name a model file, in the order a model name is looked for. */
    private static final List<String> MODEL_INPUTS = List.of("ckpt_name", "unet_name");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ObjectNode graph;
    private final Set<String> used;
    private final String source;

    private Workflow(ObjectNode graph, Set<String> used, String source) {
        this.graph = graph;
        this.used = used;
        this.source = source;
    }

    /**
     * Reads and checks a workflow.
     *
     * @param source where it came from, for messages
     * @throws ConfigException when it is not an API-format graph, names an unknown placeholder, puts a number
     *                         placeholder inside text, or has no {@code {{prompt}}}
     */
    public static Workflow parse(String json, String source) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new ConfigException(source + " is not JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject() || root.isEmpty()) {
            throw new ConfigException(source + " is not a ComfyUI workflow: expected an object of nodes");
        }
        if (root.has("nodes") && root.has("links")) {
            throw new ConfigException(source + " is in ComfyUI's UI format; Travelart needs the API format "
                    + "(in ComfyUI: Workflow → Export (API))");
        }
        Set<String> used = new TreeSet<>();
        for (Iterator<Map.Entry<String, JsonNode>> nodes = root.fields(); nodes.hasNext(); ) {
            Map.Entry<String, JsonNode> node = nodes.next();
            if (!node.getValue().isObject() || !node.getValue().path("class_type").isTextual() || !node.getValue().path("inputs").isObject()) {
                throw new ConfigException(source + ": node " + node.getKey() + " is not a ComfyUI API-format node "
                        + "(an object with class_type and inputs)");
            }
            for (Iterator<Map.Entry<String, JsonNode>> inputs = node.getValue().get("inputs").fields(); inputs.hasNext(); ) {
                Map.Entry<String, JsonNode> input = inputs.next();
                if (!input.getValue().isTextual()) {
                    continue;
                }
                String text = input.getValue().asText();
                Matcher m = PLACEHOLDER.matcher(text);
                while (m.find()) {
                    String name = m.group(1);
                    String where = source + ": node " + node.getKey() + " input " + input.getKey();
                    if (!NAMES.contains(name)) {
                        throw new ConfigException(where + " has the unknown placeholder {{" + name + "}}; known: "
                                + String.join(", ", new TreeSet<>(NAMES).stream().map(n -> "{{" + n + "}}").toList()));
                    }
                    if (NUMBERS.contains(name) && !PLACEHOLDER.matcher(text).matches()) {
                        throw new ConfigException(where + ": {{" + name + "}} is a number, so it must be the whole value");
                    }
                    used.add(name);
                }
            }
        }
        if (!used.contains(PROMPT)) {
            throw new ConfigException(source + " has no {{prompt}} placeholder: put it where the positive prompt goes "
                    + "(a CLIPTextEncode node's text)");
        }
        return new Workflow((ObjectNode) root, Set.copyOf(used), source);
    }

    /** Whether the workflow takes this placeholder. */
    public boolean uses(String placeholder) {
        return used.contains(placeholder);
    }

    public String source() {
        return source;
    }

    /** The model file the workflow loads (a loader's {@code ckpt_name} or {@code unet_name}), without its extension. */
    public Optional<String> modelName() {
        for (String input : MODEL_INPUTS) {
            for (JsonNode node : graph) {
                JsonNode value = node.path("inputs").path(input);
                if (value.isTextual() && !value.asText().isBlank() && !PLACEHOLDER.matcher(value.asText()).find()) {
                    String name = value.asText();
                    int slash = Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\'));
                    name = name.substring(slash + 1);
                    int dot = name.lastIndexOf('.');
                    return Optional.of(dot > 0 ? name.substring(0, dot) : name);
                }
            }
        }
        return Optional.empty();
    }

    /**
     * The graph for one request, every placeholder filled.
     *
     * @param values a value for each placeholder the workflow uses: {@link Number} for width, height and seed
     */
    public ObjectNode fill(Map<String, Object> values) {
        ObjectNode filled = graph.deepCopy();
        List<String> missing = new ArrayList<>();
        for (String name : used) {
            if (!values.containsKey(name)) {
                missing.add(name);
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("no value for " + missing);
        }
        for (JsonNode node : filled) {
            ObjectNode inputs = (ObjectNode) node.get("inputs");
            for (String input : new ArrayList<>(iterable(inputs.fieldNames()))) {
                JsonNode value = inputs.get(input);
                if (!value.isTextual()) {
                    continue;
                }
                String text = value.asText();
                Matcher whole = PLACEHOLDER.matcher(text);
                if (whole.matches()) {
                    Object v = values.get(whole.group(1));
                    inputs.set(input, v instanceof Number n ? JsonNodeFactory.instance.numberNode(n.longValue())
                            : JsonNodeFactory.instance.textNode(String.valueOf(v)));
                } else if (PLACEHOLDER.matcher(text).find()) {
                    inputs.put(input, PLACEHOLDER.matcher(text).replaceAll(m -> Matcher.quoteReplacement(String.valueOf(values.get(m.group(1))))));
                }
            }
        }
        return filled;
    }

    private static <T> List<T> iterable(Iterator<T> iterator) {
        List<T> list = new ArrayList<>();
        iterator.forEachRemaining(list::add);
        return list;
    }

    @Override
    public String toString() {
        return source + " (placeholders " + used + ")";
    }
}
