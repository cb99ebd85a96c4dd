package io.travelart.devstack;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A ComfyUI server for tests and the offline demo, built from the routes ComfyUI's {@code server.py} serves:
 * {@code POST /prompt} (validates the graph as ComfyUI does for the nodes of a text-to-image workflow, and takes a
 * client's {@code prompt_id}), {@code GET /queue}, {@code POST /queue} (delete, clear), {@code POST /interrupt},
 * {@code GET /history[/{prompt_id}]}, {@code POST /history} (delete, clear), {@code GET /view} and
 * {@code GET /system_stats}. Jobs run on a GPU queue of limited width (ComfyUI itself runs one job at a time) and take
 * {@link Settings#jobTime()} each; the image is drawn from the positive prompt, size and seed.
 *
 * <p>Faults: the next jobs fail in a node ({@link #failNextJobs}); a model file that is not installed fails
 * validation, as in ComfyUI ({@code value_not_in_list}); {@link #restart} drops the queue, the running jobs and the
 * history, which ComfyUI keeps in memory only. The {@code /ws} progress socket is not served: Travelart follows jobs
 * through {@code /history}.
 */
public final class ComfyUiSimulator implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ComfyUiSimulator.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Node types this simulator knows, with what each needs; any other type is refused as ComfyUI refuses an unknown node. */
    private static final Set<String> NODE_TYPES = Set.of("CheckpointLoaderSimple", "UNETLoader", "CLIPTextEncode", "EmptyLatentImage",
            "EmptySD3LatentImage", "KSampler", "KSamplerAdvanced", "VAEDecode", "SaveImage", "PreviewImage");
    private static final Set<String> OUTPUT_NODES = Set.of("SaveImage", "PreviewImage");
    private static final int MAX_RESOLUTION = 16384;

    /**
     * @param jobTime  how long one job runs on the GPU
     * @param gpuWidth how many jobs run at once (1, as in ComfyUI, unless several GPUs are simulated)
     * @param models   the model files installed ({@code ckpt_name}/{@code unet_name} values that validate)
     * @param detail   how much an image served by {@code /view} weighs: REALISTIC (the default) or PLAIN
     */
    public record Settings(Duration jobTime, int gpuWidth, Set<String> models, ImageDetail detail) {
        public static final String SDXL = "sd_xl_base_1.0.safetensors";

        public static Settings defaults() {
            return new Settings(Duration.ofMillis(400), 1, Set.of(SDXL, "flux1-dev.safetensors"), ImageDetail.REALISTIC);
        }

        public Settings withJobTime(Duration time) {
            return new Settings(time, gpuWidth, models, detail);
        }

        public Settings withGpuWidth(int width) {
            return new Settings(jobTime, width, models, detail);
        }

        public Settings withModels(Set<String> installed) {
            return new Settings(jobTime, gpuWidth, installed, detail);
        }

        public Settings withDetail(ImageDetail weight) {
            return new Settings(jobTime, gpuWidth, models, weight);
        }
    }

    private record Job(long number, String promptId, ObjectNode graph, ObjectNode extraData, List<String> outputs, long epoch) {
        String requestId() {
            return extraData.path("travelart_request_id").asText(null);
        }
    }

    private final int port;
    private volatile Settings settings;
    private volatile HttpServer server;
    private ExecutorService handlers;
    private ExecutorService gpus;
    private final Object lock = new Object();
    private final List<Job> pending = new ArrayList<>();
    private final Map<String, Job> running = new LinkedHashMap<>();
    private final Map<String, Thread> runningThreads = new HashMap<>();
    private final Map<String, ObjectNode> history = new LinkedHashMap<>();
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> queuedByRequest = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> drawnByRequest = new ConcurrentHashMap<>();
    private final AtomicInteger failNext = new AtomicInteger();
    private volatile String failType = "RuntimeException";
    private long number;
    private long epoch;
    private long fileCounter;
    private volatile boolean closed;

    private ComfyUiSimulator(int port, Settings settings) {
        this.port = port;
        this.settings = settings;
    }

    public static ComfyUiSimulator start(Settings settings) {
        return start(0, settings);
    }

    /** On 127.0.0.1:{@code port} (0: a free one). */
    public static ComfyUiSimulator start(int port, Settings settings) {
        ComfyUiSimulator simulator = new ComfyUiSimulator(port, settings);
        simulator.open(port);
        log.info("ComfyUI simulator on {} (GPU queue width {}, {} per job)", simulator.baseUrl(), settings.gpuWidth(), settings.jobTime());
        return simulator;
    }

    /** The value for TRAVELART_COMFYUI_URL. */
    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public void settings(Settings settings) {
        this.settings = settings;
    }

    public Settings settingsNow() {
        return settings;
    }

    /** Fault switch: the next {@code count} jobs to run fail in the sampler with this exception type (e.g. torch.cuda.OutOfMemoryError). */
    public void failNextJobs(int count, String exceptionType) {
        failType = exceptionType;
        failNext.set(count);
    }

    /**
     * Stops serving, drops the queue, the running jobs and the history (ComfyUI keeps them in memory), and serves again
     * on the same port after {@code down}. Output files stay, as they are on disk.
     */
    public void restart(Duration down) throws InterruptedException {
        HttpServer old;
        synchronized (lock) {
            old = server;
            epoch++;
            pending.clear();
            running.clear();
            runningThreads.values().forEach(Thread::interrupt);
            runningThreads.clear();
            history.clear();
            lock.notifyAll();
        }
        old.stop(0);
        handlers.shutdownNow();
        log.info("ComfyUI simulator stopped for {}: queue and history dropped", down);
        Thread.sleep(down.toMillis());
        open(old.getAddress().getPort());
        log.info("ComfyUI simulator serving again on {}", baseUrl());
    }

    /** Jobs queued (accepted by {@code POST /prompt}) for a request id, as sent in extra_data.travelart_request_id. */
    public long queued(String requestId) {
        AtomicLong n = queuedByRequest.get(requestId);
        return n == null ? 0 : n.get();
    }

    /** Jobs of a request that ran to an image: GPU time spent. */
    public long drawn(String requestId) {
        AtomicLong n = drawnByRequest.get(requestId);
        return n == null ? 0 : n.get();
    }

    /** Jobs waiting or running now. */
    public int queueDepth() {
        synchronized (lock) {
            return pending.size() + running.size();
        }
    }

    private void open(int bindPort) {
        try {
            HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), bindPort), 256);
            handlers = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("comfyui-simulator-", 0).factory());
            http.setExecutor(handlers);
            http.createContext("/prompt", e -> handle(e, this::prompt));
            http.createContext("/queue", e -> handle(e, this::queue));
            http.createContext("/interrupt", e -> handle(e, this::interrupt));
            http.createContext("/history", e -> handle(e, this::history));
            http.createContext("/view", e -> handle(e, this::view));
            http.createContext("/system_stats", e -> handle(e, this::systemStats));
            http.createContext("/", e -> handle(e, ex -> send(ex, 404, "text/plain", "404: Not Found".getBytes(StandardCharsets.UTF_8))));
            http.start();
            server = http;
            if (gpus == null) {
                gpus = Executors.newCachedThreadPool(daemon("comfyui-simulator-gpu"));
                for (int i = 0; i < Math.max(1, settings.gpuWidth()); i++) {
                    gpus.submit(this::gpu);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    private interface Handler {
        void handle(HttpExchange exchange) throws IOException;
    }

    private void handle(HttpExchange exchange, Handler handler) {
        try (exchange) {
            handler.handle(exchange);
        } catch (Exception e) {
            log.error("ComfyUI simulator handler failed", e);
        }
    }

    // ---- POST /prompt ----

    private void prompt(HttpExchange exchange) throws IOException {
        if (!exchange.getRequestMethod().equals("POST")) {
            sendJson(exchange, 200, queueInfo());
            return;
        }
        JsonNode body = JSON.readTree(exchange.getRequestBody());
        if (body == null || !body.path("prompt").isObject()) {
            sendJson(exchange, 400, error("no_prompt", "No prompt provided", "No prompt provided", JSON.createObjectNode()));
            return;
        }
        ObjectNode graph = (ObjectNode) body.get("prompt");
        ObjectNode nodeErrors = JSON.createObjectNode();
        List<String> outputs = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = graph.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> node = it.next();
            String type = node.getValue().path("class_type").asText("");
            if (!NODE_TYPES.contains(type)) {
                sendJson(exchange, 400, error("invalid_prompt", "Cannot execute because node " + type + " does not exist.",
                        "Node ID '#" + node.getKey() + "'", JSON.createObjectNode()));
                return;
            }
            if (OUTPUT_NODES.contains(type)) {
                outputs.add(node.getKey());
            }
            validate(node.getKey(), type, node.getValue().path("inputs"), nodeErrors);
        }
        if (outputs.isEmpty()) {
            sendJson(exchange, 400, error("prompt_no_outputs", "Prompt has no outputs", "", JSON.createObjectNode()));
            return;
        }
        if (!nodeErrors.isEmpty()) {
            nodeErrors.fields().forEachRemaining(e -> ((ObjectNode) e.getValue()).set("dependent_outputs", JSON.valueToTree(outputs)));
            sendJson(exchange, 400, error("prompt_outputs_failed_validation", "Prompt outputs failed validation", "", nodeErrors));
            return;
        }
        String promptId = body.path("prompt_id").isTextual() ? body.get("prompt_id").asText() : UUID.randomUUID().toString();
        ObjectNode extra = body.path("extra_data").isObject() ? (ObjectNode) body.get("extra_data").deepCopy() : JSON.createObjectNode();
        if (body.path("client_id").isTextual()) {
            extra.put("client_id", body.get("client_id").asText());
        }
        long queuedNumber;
        synchronized (lock) {
            queuedNumber = number++;
            Job job = new Job(queuedNumber, promptId, graph, extra, outputs, epoch);
            pending.add(job);
            lock.notifyAll();
            if (job.requestId() != null) {
                queuedByRequest.computeIfAbsent(job.requestId(), k -> new AtomicLong()).incrementAndGet();
            }
        }
        ObjectNode answer = JSON.createObjectNode();
        answer.put("prompt_id", promptId);
        answer.put("number", queuedNumber);
        answer.set("node_errors", JSON.createObjectNode());
        sendJson(exchange, 200, answer);
    }

    private void validate(String id, String type, JsonNode inputs, ObjectNode nodeErrors) {
        List<ObjectNode> errors = new ArrayList<>();
        for (String modelInput : List.of("ckpt_name", "unet_name")) {
            if (inputs.has(modelInput) && !settings.models().contains(inputs.path(modelInput).asText())) {
                ObjectNode error = inputError("value_not_in_list", "Value not in list",
                        modelInput + ": '" + inputs.path(modelInput).asText() + "' not in " + settings.models().stream().sorted().toList(),
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

    private static ObjectNode error(String type, String message, String details, ObjectNode nodeErrors) {
        ObjectNode body = JSON.createObjectNode();
        ObjectNode error = body.putObject("error");
        error.put("type", type);
        error.put("message", message);
        error.put("details", details);
        error.putObject("extra_info");
        body.set("node_errors", nodeErrors);
        return body;
    }

    // ---- the GPU ----

    private void gpu() {
        while (!closed) {
            Job job;
            synchronized (lock) {
                while (pending.isEmpty() && !closed) {
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        if (closed) {
                            return;
                        }
                    }
                }
                if (closed) {
                    return;
                }
                job = pending.remove(0);
                running.put(job.promptId(), job);
                runningThreads.put(job.promptId(), Thread.currentThread());
            }
            run(job);
            Thread.interrupted();
        }
    }

    private void run(Job job) {
        long started = System.currentTimeMillis();
        ArrayNode messages = JSON.createArrayNode();
        messages.add(message("execution_start", job, started));
        boolean interrupted = false;
        try {
            Thread.sleep(settings.jobTime().toMillis());
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
        synchronized (lock) {
            runningThreads.remove(job.promptId());
            if (job.epoch() != epoch) {
                return; // the server "restarted" while it ran: nothing of it survives
            }
            running.remove(job.promptId());
            history.put(job.promptId(), entry);
        }
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
        String name;
        synchronized (lock) {
            name = (slash < 0 ? prefix : prefix.substring(slash + 1)) + "_" + String.format("%05d", ++fileCounter) + "_.png";
        }
        String type = graph.path(outputNode).path("class_type").asText().equals("PreviewImage") ? "temp" : "output";
        files.put(type + "/" + subfolder + "/" + name, ImageRenderer.render(text, seed, width, height, "png", settings.detail()));
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

    // ---- queue, interrupt, history, view, system_stats ----

    private ObjectNode queueInfo() {
        ObjectNode info = JSON.createObjectNode();
        synchronized (lock) {
            info.putObject("exec_info").put("queue_remaining", pending.size() + running.size());
        }
        return info;
    }

    private void queue(HttpExchange exchange) throws IOException {
        if (exchange.getRequestMethod().equals("POST")) {
            clearOrDelete(exchange, pending::clear, id -> pending.removeIf(job -> job.promptId().equals(id)));
            return;
        }
        ObjectNode answer = JSON.createObjectNode();
        synchronized (lock) {
            ArrayNode runningNow = answer.putArray("queue_running");
            running.values().forEach(job -> runningNow.add(item(job)));
            ArrayNode waiting = answer.putArray("queue_pending");
            pending.forEach(job -> waiting.add(item(job)));
        }
        sendJson(exchange, 200, answer);
    }

    /** {@code POST /queue} and {@code POST /history} take the same body: {@code {"clear": true}} and/or {@code {"delete": [ids]}}. */
    private void clearOrDelete(HttpExchange exchange, Runnable clear, java.util.function.Consumer<String> delete) throws IOException {
        JsonNode body = JSON.readTree(exchange.getRequestBody());
        synchronized (lock) {
            if (body.path("clear").asBoolean(false)) {
                clear.run();
            }
            for (JsonNode id : body.path("delete")) {
                delete.accept(id.asText());
            }
        }
        send(exchange, 200, "application/json", new byte[0]);
    }

    private static ArrayNode item(Job job) {
        return JSON.createArrayNode().add(job.number()).add(job.promptId()).add(job.graph()).add(job.extraData())
                .add(JSON.valueToTree(job.outputs()));
    }

    private void interrupt(HttpExchange exchange) throws IOException {
        synchronized (lock) {
            runningThreads.values().forEach(Thread::interrupt);
        }
        send(exchange, 200, "application/json", new byte[0]);
    }

    private void history(HttpExchange exchange) throws IOException {
        if (exchange.getRequestMethod().equals("POST")) {
            clearOrDelete(exchange, history::clear, history::remove);
            return;
        }
        String path = exchange.getRequestURI().getPath();
        ObjectNode answer = JSON.createObjectNode();
        synchronized (lock) {
            if (path.startsWith("/history/") && path.length() > "/history/".length()) {
                String id = path.substring("/history/".length());
                ObjectNode entry = history.get(id);
                if (entry != null) {
                    answer.set(id, entry);
                }
            } else {
                history.forEach(answer::set);
            }
        }
        sendJson(exchange, 200, answer);
    }

    private void view(HttpExchange exchange) throws IOException {
        Map<String, String> query = new HashMap<>();
        String raw = exchange.getRequestURI().getRawQuery();
        if (raw != null) {
            for (String pair : raw.split("&")) {
                String[] kv = pair.split("=", 2);
                query.put(URLDecoder.decode(kv[0], StandardCharsets.UTF_8), kv.length > 1 ? URLDecoder.decode(kv[1], StandardCharsets.UTF_8) : "");
            }
        }
        byte[] bytes = files.get(query.getOrDefault("type", "output") + "/" + query.getOrDefault("subfolder", "") + "/"
                + query.getOrDefault("filename", ""));
        if (bytes == null) {
            send(exchange, 404, "text/plain", "404: Not Found".getBytes(StandardCharsets.UTF_8));
            return;
        }
        send(exchange, 200, "image/png", bytes);
    }

    private void systemStats(HttpExchange exchange) throws IOException {
        ObjectNode answer = JSON.createObjectNode();
        ObjectNode system = answer.putObject("system");
        system.put("os", "posix");
        system.put("comfyui_version", "0.3.x (Travelart simulator)");
        system.put("python_version", "simulated");
        system.put("embedded_python", false);
        ObjectNode device = answer.putArray("devices").addObject();
        device.put("name", "simulated GPU");
        device.put("type", "cuda");
        device.put("index", 0);
        device.put("vram_total", 24L << 30);
        device.put("vram_free", 20L << 30);
        sendJson(exchange, 200, answer);
    }

    private static void sendJson(HttpExchange exchange, int status, JsonNode body) throws IOException {
        send(exchange, status, "application/json; charset=utf-8", JSON.writeValueAsBytes(body));
    }

    private static void send(HttpExchange exchange, int status, String type, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        synchronized (lock) {
            lock.notifyAll();
        }
        server.stop(0);
        handlers.shutdownNow();
        gpus.shutdownNow();
    }
}
