package io.travelart.cli;

import io.travelart.cli.local.LocalPipeline;
import io.travelart.cli.records.RequestPublisher;
import io.travelart.core.config.Settings;
import io.travelart.core.config.WorkerConfig;
import io.travelart.core.metrics.PriceTable;
import io.travelart.core.openai.OpenAiConfig;
import io.travelart.core.images.ImageProvider;
import io.travelart.devstack.comfyui.ComfyUiSimulator;
import io.travelart.devstack.openai.SimulatorSettings;
import io.travelart.image.comfyui.ComfyUiConfig;
import io.travelart.events.ImageReady;
import io.travelart.events.KeywordRequested;
import io.travelart.events.Priorities;
import io.travelart.events.RequestFailed;
import io.travelart.gallery.Gallery;
import io.travelart.core.results.RequestResult;
import io.travelart.core.results.ResultWatcher;
import io.travelart.image.app.ImageWorkerConfig;
import io.travelart.prompt.app.PromptWorkerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Runs the whole pipeline on this machine: Kafka, the schema registry, both workers, and the OpenAI "
                + "simulator (or the real OpenAI API when OPENAI_API_KEY is set). Publishes the keywords and prints, for each "
                + "request, its prompt, image URL and local file."})
final class DemoCommand implements Callable<Integer> {

    static final List<String> DEFAULT_KEYWORDS = List.of("겨울밤의 파리", "Kyoto in autumn rain", "Santorini at sunrise",
            "서울의 봄 벚꽃길");

    @Parameters(arity = "0..*", paramLabel = "KEYWORD", description = "Travel keywords. Default: " + "겨울밤의 파리, Kyoto in autumn rain, "
            + "Santorini at sunrise, 서울의 봄 벚꽃길.")
    List<String> keywords;

    @Option(names = "--json", description = "Print one JSON object per finished request (requestId, keyword, status, prompt, "
            + "imageUrl, imageFile, errorCode); progress goes to stderr.")
    boolean json;

    @Option(names = "--simulator", description = "Use the built-in OpenAI simulator even when OPENAI_API_KEY is set.")
    boolean forceSimulator;

    @Option(names = "--metrics", description = "At the end, print what each worker's /metrics says (the travelart.* meters).")
    boolean metrics;

    @Option(names = "--gallery", description = "When the keywords are done, keep the stack up and serve the gallery (the "
            + "images in a web page, live) until Ctrl-C.")
    boolean gallery;

    @Option(names = "--gallery-port", defaultValue = "0", description = "The gallery's port on 127.0.0.1. Default: a free one.")
    int galleryPort;

    @Option(names = "--priority", defaultValue = "interactive", description = "interactive (default) or batch: the images "
            + "go through the Batch API at half the price (gathered for 2 s here unless TRAVELART_BATCH_MAX_AGE says otherwise; "
            + "with the real API a batch may take up to 24 hours, so raise --timeout).")
    String priority;

    @Option(names = "--image-provider", defaultValue = "openai", description = "openai (default: OpenAI's images API, or its "
            + "simulator) or comfyui: Stable Diffusion through a ComfyUI server, the one at TRAVELART_COMFYUI_URL when set, "
            + "else the built-in ComfyUI simulator.")
    String imageProvider;

    @Option(names = "--style", description = "Preferred art style for every keyword.")
    String style;

    @Option(names = "--data-dir", defaultValue = "travelart-data", description = "Default: ${DEFAULT-VALUE}.")
    Path dataDir;

    @Option(names = "--partitions", defaultValue = "3", description = "Default: ${DEFAULT-VALUE}.")
    int partitions;

    @Option(names = "--timeout", defaultValue = "120s", converter = DurationConverter.class,
            description = "Give up on requests not finished after this long. Default: ${DEFAULT-VALUE}.")
    Duration timeout;

    @Spec
    CommandSpec spec;

    /** Where the demo's calls go: the real API or the simulator, OpenAI's images or ComfyUI, and the workers' settings. */
    private record Choice(boolean realApi, boolean comfyUiSimulator, Map<String, String> overrides) {
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter progress = json ? spec.commandLine().getErr() : out;
        if (!Priorities.ALL.contains(priority)) {
            throw new ParameterException(spec.commandLine(), "--priority '" + priority + "' is not one of " + String.join(", ", Priorities.ALL));
        }
        List<String> chosen = keywords == null || keywords.isEmpty() ? DEFAULT_KEYWORDS : keywords;
        Map<String, String> env = System.getenv();
        Choice choice = choose(env, progress);
        PriceTable prices = WorkerConfig.prices(Settings.of(env));
        progress.println("Starting Kafka, the schema registry and both workers...");
        progress.flush();

        Path runDir = dataDir.resolve("demo");
        Directories.deleteRecursively(runDir.resolve("kafka"));
        long started = System.nanoTime();
        Optional<UntilStopped> stop = gallery ? Optional.of(UntilStopped.install()) : Optional.empty();
        // The gallery's Ctrl-C waits for everything else to close, so it closes last; the ComfyUI simulator outlives the workers.
        try (Closing stopLast = () -> stop.ifPresent(UntilStopped::close);
             Closing comfy = startComfyUi(choice);
             LocalPipeline pipeline = LocalPipeline.start(runDir, partitions,
                     choice.realApi() ? Optional.empty() : Optional.of(SimulatorSettings.defaults()), choice.overrides());
             ResultWatcher watcher = pipeline.watcher(false);
             RequestPublisher publisher = pipeline.publisher()) {
            progress.printf("Stack up in %.1f s (metrics and health: %s). Publishing %d keyword%s to %s...%n", seconds(started),
                    pipeline.managementUrls().values().stream().sorted().collect(java.util.stream.Collectors.joining(", ")),
                    chosen.size(), chosen.size() == 1 ? "" : "s", pipeline.topics().keywordRequested());
            progress.flush();
            Map<String, String> keywordById = publish(publisher, chosen);
            Map<String, RequestResult> results = collect(watcher, keywordById, progress, out, prices);
            if (!json) {
                printSummary(out, keywordById, results, prices);
            }
            if (metrics) {
                printMetrics(progress, pipeline);
            }
            stop.ifPresent(until -> serveGallery(progress, pipeline, prices, until));
            long missing = keywordById.size() - results.size();
            if (missing > 0) {
                spec.commandLine().getErr().printf("travelart: %d request%s did not finish within %s%n", missing,
                        missing == 1 ? "" : "s", timeout);
            }
            boolean allReady = missing == 0 && results.values().stream().allMatch(r -> r instanceof RequestResult.Ready);
            return allReady ? 0 : 1;
        }
    }

    /** What closes at the end of the demo, without a checked exception. */
    private interface Closing extends AutoCloseable {
        @Override
        void close();
    }

    /** The API, the image server and the workers' settings, said on the progress stream. */
    private Choice choose(Map<String, String> env, PrintWriter progress) {
        boolean realApi = !forceSimulator && env.get("OPENAI_API_KEY") != null && !env.get("OPENAI_API_KEY").isBlank();
        Map<String, String> overrides = new HashMap<>();
        env.forEach((k, v) -> {
            if (k.startsWith("TRAVELART_") || (realApi && k.startsWith("OPENAI_"))) {
                overrides.put(k, v);
            }
        });
        progress.println(realApi
                ? "Using the real OpenAI API at " + env.getOrDefault("OPENAI_BASE_URL", OpenAiConfig.DEFAULT_BASE_URL)
                        + " (OPENAI_API_KEY is set): this costs money."
                : "Using the built-in OpenAI simulator (" + (forceSimulator ? "--simulator" : "OPENAI_API_KEY is not set") + ").");
        if (priority.equals(Priorities.BATCH)) {
            // The demo's batches are small: gather for 2 s and ask every half second, unless told otherwise.
            overrides.putIfAbsent("TRAVELART_BATCH_MAX_AGE", "2s");
            overrides.putIfAbsent("TRAVELART_BATCH_POLL_INTERVAL", "500ms");
        }
        boolean comfyUi = switch (imageProvider) {
            case "openai" -> false;
            case "comfyui" -> true;
            default -> throw new ParameterException(spec.commandLine(), "--image-provider '" + imageProvider + "' is not one of openai, comfyui");
        };
        boolean comfyUiSimulator = comfyUi && env.getOrDefault("TRAVELART_COMFYUI_URL", "").isBlank();
        if (comfyUi) {
            overrides.put(ImageProvider.SETTING, ImageProvider.COMFYUI.id());
        }
        String imageModel = comfyUi
                ? workflowModel(overrides) + " on "
                        + (comfyUiSimulator ? "the built-in ComfyUI simulator" : "ComfyUI at " + env.get("TRAVELART_COMFYUI_URL"))
                : env.getOrDefault("TRAVELART_IMAGE_MODEL", ImageWorkerConfig.DEFAULT_IMAGE_MODEL);
        progress.println("Models: chat " + env.getOrDefault("TRAVELART_CHAT_MODEL", PromptWorkerConfig.DEFAULT_CHAT_MODEL)
                + ", image " + imageModel);
        return new Choice(realApi, comfyUiSimulator, overrides);
    }

    /** Publishes a request per keyword; returns each request id's keyword, in order. */
    private Map<String, String> publish(RequestPublisher publisher, List<String> chosen) {
        Map<String, String> keywordById = new LinkedHashMap<>();
        for (String keyword : chosen) {
            KeywordRequested request = RequestPublisher.request(keyword, style, null, null, "travelart-demo");
            request.setPriority(priority);
            publisher.publish(request);
            keywordById.put(request.getRequestId(), keyword);
        }
        return keywordById;
    }

    /** Each request's result as it comes, with a progress line (and its JSON line), until all are in or the timeout. */
    private Map<String, RequestResult> collect(ResultWatcher watcher, Map<String, String> keywordById, PrintWriter progress,
                                               PrintWriter out, PriceTable prices) {
        long published = System.nanoTime();
        Map<String, RequestResult> results = new LinkedHashMap<>();
        long deadline = published + timeout.toNanos();
        while (results.size() < keywordById.size() && System.nanoTime() < deadline) {
            for (RequestResult result : watcher.poll(Duration.ofMillis(200))) {
                if (keywordById.containsKey(result.requestId()) && !results.containsKey(result.requestId())) {
                    results.put(result.requestId(), result);
                    progress.printf("[%d/%d] %-6s %s (%.1f s)%n", results.size(), keywordById.size(),
                            result instanceof RequestResult.Ready ? "ready" : "failed",
                            keywordById.get(result.requestId()), seconds(published));
                    progress.flush();
                    if (json) {
                        out.println(ResultView.json(result, keywordById.get(result.requestId()), imageFile(result), prices));
                        out.flush();
                    }
                }
            }
        }
        return results;
    }

    /** Serves the gallery on the demo's stack until Ctrl-C, saying where it is and how to add keywords. */
    private void serveGallery(PrintWriter progress, LocalPipeline pipeline, PriceTable prices, UntilStopped stop) {
        try (Gallery shown = Gallery.start(pipeline.kafka(), pipeline.serde(), pipeline.topics(), prices,
                new Gallery.Options("127.0.0.1", galleryPort, 10_000))) {
            progress.println();
            progress.println("Gallery: " + shown.url());
            progress.println("The stack stays up; more keywords appear there as they are done:");
            progress.println("  ./travelart publish --bootstrap-servers " + pipeline.kafka().bootstrapServers() + " --registry-url "
                    + pipeline.stack().registryUrl() + " --keyword 'Lisbon tram at dusk'");
            progress.println("Press Ctrl-C to stop.");
            progress.flush();
            stop.await();
        } catch (IOException e) {
            throw new UserFacingException("the gallery cannot listen on 127.0.0.1:" + galleryPort + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void printSummary(PrintWriter out, Map<String, String> keywordById,
                                     Map<String, RequestResult> results, PriceTable prices) {
        out.println();
        for (Map.Entry<String, String> entry : keywordById.entrySet()) {
            RequestResult result = results.get(entry.getKey());
            out.println(entry.getValue() + "  [" + entry.getKey() + "]");
            switch (result) {
                case RequestResult.Ready(ImageReady e) -> {
                    out.println("  prompt: " + e.getPrompt());
                    out.println("  image:  " + e.getImageUrl() + "  (" + e.getWidth() + "x" + e.getHeight() + " "
                            + e.getContentType() + ", " + e.getSizeBytes() + " bytes, sha256 " + e.getSha256().substring(0, 12) + "…)");
                    out.println("  file:   " + imageFile(result));
                    out.printf("  models: %s, %s%s; estimated cost $%.4f%s%n", e.getPromptModel(), e.getImageModel(),
                            e.getSeed() == null ? "" : " (seed " + e.getSeed() + (e.getImageComputeMs() == null ? ""
                                    : String.format(", %.1f GPU-s", e.getImageComputeMs() / 1000.0)) + ")",
                            prices.requestCost(e), "batch".equals(e.getLane()) ? " (batch lane: the image at half price)" : "");
                }
                case RequestResult.Failed(RequestFailed e) ->
                        out.println("  failed: " + e.getErrorCode() + " at " + e.getStage() + ": " + e.getMessage());
                case null -> out.println("  not finished in time");
            }
        }
        out.println();
        out.println("The image URLs are served by the image-worker while a stack runs; the files stay.");
        out.flush();
    }

    /** The workers' own meters as Prometheus shows them, before the pipeline stops. */
    private static void printMetrics(PrintWriter out, LocalPipeline pipeline) {
        var http = java.net.http.HttpClient.newHttpClient();
        for (Map.Entry<String, String> worker : new java.util.TreeMap<>(pipeline.managementUrls()).entrySet()) {
            String url = worker.getValue() + io.travelart.core.worker.ManagementServer.METRICS_PATH;
            String body;
            try {
                body = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            } catch (java.io.IOException e) {
                out.println(worker.getKey() + ": " + url + " did not answer: " + e.getMessage());
                continue;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            out.println();
            out.println(worker.getKey() + " " + url + ":");
            body.lines().filter(l -> l.startsWith("travelart_") && !l.contains("_bucket{")).forEach(l -> out.println("  " + l));
        }
        out.flush();
    }

    /** The image's file on this machine: image-ready's location, when the directory store wrote it. */
    private static Path imageFile(RequestResult result) {
        if (!(result instanceof RequestResult.Ready ready)) {
            return null;
        }
        String location = ready.event().getImageLocation();
        return location == null || location.startsWith("s3://") ? null : Path.of(location);
    }

    private static double seconds(long sinceNanos) {
        return (System.nanoTime() - sinceNanos) / 1e9;
    }

    /** The built-in ComfyUI simulator when the demo draws with it (its URL goes into the workers' settings); else nothing. */
    private static Closing startComfyUi(Choice choice) {
        if (!choice.comfyUiSimulator()) {
            return () -> { };
        }
        ComfyUiSimulator simulator = ComfyUiSimulator.start(ComfyUiSimulator.Settings.defaults());
        choice.overrides().put("TRAVELART_COMFYUI_URL", simulator.baseUrl());
        return simulator::close;
    }

    /** The model file the configured (or built-in) workflow loads, as the image-worker names it. */
    private static String workflowModel(Map<String, String> overrides) {
        Settings values = Settings.of(overrides);
        return ComfyUiConfig.model(values, ComfyUiConfig.workflow(values));
    }
}
