package io.travelart.devstack.comfyui;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.travelart.devstack.image.ImageRenderer;

import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * One job on the simulated GPU: it takes the job time, then fails in the sampler (when a fault is armed), is
 * interrupted, or draws each output node's image from the positive prompt, size and seed; the result is the job's
 * {@code /history} entry. The images it drew are kept for {@code /view}, as ComfyUI keeps them on disk.
 */
final class JobRunner {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Supplier<ComfyUiSimulator.Settings> settings;
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> drawnByRequest = new ConcurrentHashMap<>();
    private final AtomicInteger failNext = new AtomicInteger();
    private final AtomicLong fileCounter = new AtomicLong();
    private volatile String failType = "RuntimeException";

    JobRunner(Supplier<ComfyUiSimulator.Settings> settings) {
        this.settings = settings;
    }

    /** The next {@code count} jobs fail in the sampler with this exception type. */
    void failNext(int count, String exceptionType) {
        failType = exceptionType;
        failNext.set(count);
    }

    long drawn(String requestId) {
        AtomicLong n = drawnByRequest.get(requestId);
        return n == null ? 0 : n.get();
    }

    /** An image drawn, by {@code type/subfolder/filename} as {@code /view} names it. */
    Optional<byte[]> image(String key) {
        return Optional.ofNullable(files.get(key));
    }

    /** Runs the job on the calling thread (a GPU's): interrupting the thread interrupts the job. */
    ObjectNode run(Job job) {
        long started = System.currentTimeMillis();
        ArrayNode messages = JSON.createArrayNode();
        messages.add(message("execution_start", job, started));
        boolean interrupted = false;
        try {
            Thread.sleep(settings.get().jobTime().toMillis());
        } catch (InterruptedException e) {
            interrupted = true;
        }
        ObjectNode entry = JSON.createObjectNode();
        ArrayNode prompt = entry.putArray("prompt");
        prompt.add(job.number()).add(job.promptId()).add(job.graph()).add(job.extraData()).add(JSON.valueToTree(job.outputs()));
        ObjectNode outputs = entry.putObject("outputs");
        ObjectNode status = entry.putObject("status");
        long now = System.currentTimeMillis();
        boolean failed = !interrupted && failNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0;
        String sampler = nodeOf(job.graph(), "KSampler");
        if (interrupted) {
            ArrayNode m = message("execution_interrupted", job, now);
            ((ObjectNode) m.get(1)).put("node_id", sampler).put("node_type", "KSampler").putArray("executed");
            messages.add(m);
            status.put("status_str", "error");
            status.put("completed", false);
        } else if (failed) {
            ArrayNode m = message("execution_error", job, now);
            ObjectNode data = (ObjectNode) m.get(1);
            data.put("node_id", sampler).put("node_type", "KSampler").putArray("executed");
            data.put("exception_message", failType.contains("OutOfMemory") ? "Allocation on device 0 would exceed allowed memory. (out of memory)"
                    : "simulated failure in the sampler");
            data.put("exception_type", failType);
            data.putArray("traceback").add("  File \"execution.py\", line 1, in execute (simulated)\n");
            data.putObject("current_inputs");
            data.putObject("current_outputs");
            messages.add(m);
            status.put("status_str", "error");
            status.put("completed", false);
        } else {
            messages.add(message("execution_success", job, now));
            for (String output : job.outputs()) {
                ObjectNode image = draw(job, output);
                outputs.putObject(output).putArray("images").add(image);
            }
            status.put("status_str", "success");
            status.put("completed", true);
            if (job.requestId() != null) {
                drawnByRequest.computeIfAbsent(job.requestId(), k -> new AtomicLong()).incrementAndGet();
            }
        }
        status.set("messages", messages);
        entry.putObject("meta");
        return entry;
    }

    private ObjectNode draw(Job job, String outputNode) {
        JsonNode graph = job.graph();
        String text = "";
        String positive = null;
        for (JsonNode node : graph) {
            if (node.path("class_type").asText().startsWith("KSampler") && node.path("inputs").path("positive").isArray()) {
                positive = node.path("inputs").path("positive").path(0).asText();
            }
        }
        if (positive != null && graph.path(positive).path("inputs").path("text").isTextual()) {
            text = graph.path(positive).path("inputs").path("text").asText();
        }
        int width = 512;
        int height = 512;
        long seed = 0;
        for (JsonNode node : graph) {
            if (node.path("class_type").asText().startsWith("Empty")) {
                width = node.path("inputs").path("width").asInt(512);
                height = node.path("inputs").path("height").asInt(512);
            }
            if (node.path("class_type").asText().startsWith("KSampler")) {
                seed = node.path("inputs").path("seed").asLong(0);
            }
        }
        String prefix = graph.path(outputNode).path("inputs").path("filename_prefix").asText("ComfyUI");
        int slash = prefix.lastIndexOf('/');
        String subfolder = slash < 0 ? "" : prefix.substring(0, slash);
        String name = (slash < 0 ? prefix : prefix.substring(slash + 1)) + "_" + String.format("%05d", fileCounter.incrementAndGet()) + "_.png";
        String type = graph.path(outputNode).path("class_type").asText().equals("PreviewImage") ? "temp" : "output";
        files.put(type + "/" + subfolder + "/" + name, ImageRenderer.render(text, seed, width, height, "png", settings.get().detail()));
        ObjectNode image = JSON.createObjectNode();
        image.put("filename", name);
        image.put("subfolder", subfolder);
        image.put("type", type);
        return image;
    }

    private static String nodeOf(JsonNode graph, String typePrefix) {
        for (Iterator<Map.Entry<String, JsonNode>> it = graph.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> node = it.next();
            if (node.getValue().path("class_type").asText().startsWith(typePrefix)) {
                return node.getKey();
            }
        }
        return null;
    }

    private static ArrayNode message(String type, Job job, long timestamp) {
        ArrayNode message = JSON.createArrayNode();
        message.add(type);
        ObjectNode data = message.addObject();
        data.put("prompt_id", job.promptId());
        data.put("timestamp", timestamp);
        return message;
    }
}
