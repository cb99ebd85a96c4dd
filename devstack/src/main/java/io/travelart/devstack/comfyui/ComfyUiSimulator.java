package io.travelart.devstack.comfyui;

import io.travelart.devstack.image.ImageDetail;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

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

    private final int port;
    private volatile Settings settings;
    private volatile HttpServer server;
    private ExecutorService handlers;
    private final JobRunner runner = new JobRunner(this::settingsNow);
    private final java.util.concurrent.atomic.AtomicReference<Runnable> beforeQueueRead = new java.util.concurrent.atomic.AtomicReference<>();
    private GpuQueue queue;

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
        runner.failNext(count, exceptionType);
    }

    /**
     * Stops serving, drops the queue, the running jobs and the history (ComfyUI keeps them in memory), and serves again
     * on the same port after {@code down}. Output files stay, as they are on disk.
     */
    public void restart(Duration down) throws InterruptedException {
        HttpServer old = server;
        queue.dropAll();
        old.stop(0);
        handlers.shutdownNow();
        log.info("ComfyUI simulator stopped for {}: queue and history dropped", down);
        Thread.sleep(down.toMillis());
        open(old.getAddress().getPort());
        log.info("ComfyUI simulator serving again on {}", baseUrl());
    }

    /** Jobs queued (accepted by {@code POST /prompt}) for a request id, as sent in extra_data.travelart_request_id. */
    public long queued(String requestId) {
        return queue.queued(requestId);
    }

    /** Jobs of a request that ran to an image: GPU time spent. */
    public long drawn(String requestId) {
        return runner.drawn(requestId);
    }

    /**
     * Runs {@code before} once, when the next {@code GET /queue} arrives and before it is answered: a test makes the
     * queue read come after something else has happened (a job ending between a client's two reads, say).
     */
    public void beforeNextQueueRead(Runnable before) {
        beforeQueueRead.set(before);
    }

    /** Jobs waiting or running now. */
    public int queueDepth() {
        return queue.depth();
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
            if (queue == null) {
                queue = new GpuQueue(runner, settings.gpuWidth());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private interface Handler {
        void handle(HttpExchange exchange) throws IOException;
    }

    /** Every call is answered: a handler that fails answers 500, as ComfyUI's server does for an exception. */
    private void handle(HttpExchange exchange, Handler handler) {
        try (exchange) {
            try {
                handler.handle(exchange);
            } catch (IOException | RuntimeException e) {
                log.error("ComfyUI simulator {} {} failed", exchange.getRequestMethod(), exchange.getRequestURI().getPath(), e);
                if (exchange.getResponseCode() == -1) {
                    send(exchange, 500, "text/plain", ("500: " + e).getBytes(StandardCharsets.UTF_8));
                }
            }
        } catch (IOException | RuntimeException unanswerable) {
            log.warn("ComfyUI simulator could not answer {}: {}", exchange.getRequestURI().getPath(), unanswerable.toString());
        }
    }

    // ---- POST /prompt ----

    private void prompt(HttpExchange exchange) throws IOException {
        if (!exchange.getRequestMethod().equals("POST")) {
            sendJson(exchange, 200, queue.queueInfo());
            return;
        }
        JsonNode body = JSON.readTree(exchange.getRequestBody());
        if (body == null || !body.path("prompt").isObject()) {
            sendJson(exchange, 400, WorkflowCheck.error("no_prompt", "No prompt provided", "No prompt provided", JSON.createObjectNode()));
            return;
        }
        ObjectNode graph = (ObjectNode) body.get("prompt");
        List<String> outputs;
        switch (new WorkflowCheck(settings.models()).check(graph)) {
            case WorkflowCheck.Accepted accepted -> outputs = accepted.outputs();
            case WorkflowCheck.Refused(ObjectNode refusal) -> {
                sendJson(exchange, 400, refusal);
                return;
            }
        }
        String promptId = body.path("prompt_id").isTextual() ? body.get("prompt_id").asText() : UUID.randomUUID().toString();
        ObjectNode extra = body.path("extra_data").isObject() ? (ObjectNode) body.get("extra_data").deepCopy() : JSON.createObjectNode();
        if (body.path("client_id").isTextual()) {
            extra.put("client_id", body.get("client_id").asText());
        }
        long queuedNumber = queue.enqueue(promptId, graph, extra, outputs);
        ObjectNode answer = JSON.createObjectNode();
        answer.put("prompt_id", promptId);
        answer.put("number", queuedNumber);
        answer.set("node_errors", JSON.createObjectNode());
        sendJson(exchange, 200, answer);
    }

    // ---- queue, interrupt, history, view, system_stats ----

    private void queue(HttpExchange exchange) throws IOException {
        if (exchange.getRequestMethod().equals("POST")) {
            queue.clearOrDelete(JSON.readTree(exchange.getRequestBody()), false);
            send(exchange, 200, "application/json", new byte[0]);
            return;
        }
        Runnable before = beforeQueueRead.getAndSet(null);
        if (before != null) {
            before.run();
        }
        sendJson(exchange, 200, queue.queueJson());
    }

    private void interrupt(HttpExchange exchange) throws IOException {
        queue.interrupt();
        send(exchange, 200, "application/json", new byte[0]);
    }

    private void history(HttpExchange exchange) throws IOException {
        if (exchange.getRequestMethod().equals("POST")) {
            queue.clearOrDelete(JSON.readTree(exchange.getRequestBody()), true);
            send(exchange, 200, "application/json", new byte[0]);
            return;
        }
        String path = exchange.getRequestURI().getPath();
        boolean one = path.startsWith("/history/") && path.length() > "/history/".length();
        sendJson(exchange, 200, queue.historyJson(one ? Optional.of(path.substring("/history/".length())) : Optional.empty()));
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
        Optional<byte[]> bytes = runner.image(query.getOrDefault("type", "output") + "/" + query.getOrDefault("subfolder", "") + "/"
                + query.getOrDefault("filename", ""));
        if (bytes.isEmpty()) {
            send(exchange, 404, "text/plain", "404: Not Found".getBytes(StandardCharsets.UTF_8));
            return;
        }
        send(exchange, 200, "image/png", bytes.get());
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
        server.stop(0);
        handlers.shutdownNow();
        queue.close();
    }
}
