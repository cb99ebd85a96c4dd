package io.travelart.image.app;

import com.openai.client.OpenAIClient;
import io.travelart.image.ImageLinks;
import io.travelart.image.ImageMemory;
import io.travelart.image.ImageStore;
import io.travelart.image.store.FileSystemImageStore;
import io.travelart.image.store.ImageServer;
import io.travelart.image.store.ImageStoreConfig;
import io.travelart.image.store.S3ImageStore;
import io.travelart.core.call.RateLimiter;
import io.travelart.core.call.RetryPolicy;
import io.travelart.core.failure.ErrorClassifier;
import io.travelart.core.images.ImageModels;
import io.travelart.core.openai.OpenAiConnection;
import io.travelart.core.worker.StageCalls;
import io.travelart.image.GeneratedImage;
import io.travelart.image.ImageDefaults;
import io.travelart.image.ImageGenerator;
import io.travelart.image.ImageOutcomes;
import io.travelart.image.ImageStage;
import io.travelart.image.RetryingImageStore;
import io.travelart.image.openai.OpenAiImageGenerator;
import io.travelart.core.time.Time;
import io.travelart.core.engine.StageGate;
import io.travelart.core.failure.StageNames;
import io.travelart.core.metrics.WorkerMetrics;
import io.travelart.core.openai.OpenAiErrors;
import io.travelart.core.worker.Running;
import io.travelart.core.worker.StartupException;
import io.travelart.core.worker.Worker;
import io.travelart.events.ImageReady;
import io.travelart.events.PromptCreated;
import io.travelart.image.batch.BatchLane;
import io.travelart.image.batch.BatchLaneConfig;
import io.travelart.image.batch.OpenAiBatches;
import io.travelart.image.comfyui.ComfyUiClient;
import io.travelart.image.comfyui.ComfyUiConfig;
import io.travelart.image.comfyui.ComfyUiException;
import io.travelart.image.comfyui.ComfyUiImageGenerator;
import org.apache.kafka.common.acl.AclOperation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import io.travelart.core.kafka.KafkaSetupException;
import io.travelart.core.kafka.TopicSetup;
import io.travelart.core.registry.SchemaRegistryClient;
import io.travelart.core.serde.EventSerde;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.random.RandomGenerator;

/**
 * The running image-worker: its stage, which owns the image store (and the directory store's server) and the image
 * server's client (OpenAI's, or ComfyUI's).
 */
public final class ImageWorker implements Running {

    public static final String NAME = "image-worker";
    private static final Logger log = LoggerFactory.getLogger(ImageWorker.class);

    private final Worker<PromptCreated, ImageReady> worker;
    private ImageWorker(Worker<PromptCreated, ImageReady> worker) {
        this.worker = worker;
    }

    public static ImageWorker start(ImageWorkerConfig config) {
        Time clock = Time.SYSTEM;
        int inFlight = config.worker().maxInFlight();
        WorkerMetrics metrics = WorkerMetrics.prometheus(NAME, config.worker().instanceId(), config.worker().prices());
        List<AutoCloseable> resources = new ArrayList<>();
        // However many calls are in flight, this many answers are held at once (read, decoded, being stored).
        ImageMemory memory = new ImageMemory(config.maxImagesInMemory());
        memory.bind(metrics.registry());
        // OpenAiErrors reads OpenAI's exceptions, and any backend's that know their failure (Classified).
        ErrorClassifier errors = new OpenAiErrors(clock);
        Backend backend = config.comfyui().isPresent() ? comfyUi(config, config.comfyui().get(), clock, memory)
                : openAi(config, inFlight, clock, metrics, memory);
        ImageStore store;
        ImageLinks links;
        try {
            switch (config.store()) {
                case ImageStoreConfig.S3 bucket -> {
                    S3ImageStore s3 = S3ImageStore.open(bucket);
                    store = s3;
                    links = s3.links(config.publicBaseUrl());
                }
                case ImageStoreConfig.Directory(java.nio.file.Path dir) -> {
                    FileSystemImageStore files = new FileSystemImageStore(dir);
                    ImageServer server = ImageServer.start(config.httpHost(), config.httpPort(), files);
                    resources.add(server);
                    String host = config.httpHost().equals("0.0.0.0") || config.httpHost().equals("::") ? "localhost" : config.httpHost();
                    links = ImageLinks.under(config.publicBaseUrl().orElse("http://" + host + ":" + server.port()) + "/images");
                    store = files;
                }
            }
        } catch (IOException e) {
            backend.close();
            throw new StartupException("image store: cannot start " + describe(config) + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            backend.close();
            throw e;
        }
        resources.addAll(backend.resources());
        resources.add(store);
        StageCalls calls;
        ImageStage stage;
        Optional<BatchLane> batchLane = Optional.empty();
        StageGate laneGate = null;
        try {
            calls = StageCalls.start(StageNames.IMAGE, config.worker(), backend.probe(), errors, clock, metrics, resources);
            RateLimiter images = calls.limit("images", config.imagesPerMinute(), "images");
            String model = config.imageModel();
            ImageGenerator drawer = backend.generator();
            ImageGenerator generator = (requestId, prompt, size, quality) -> calls.guard().call(images, () -> {
                GeneratedImage image = metrics.timed(StageNames.IMAGE, model, errors, () -> drawer.generate(requestId, prompt, size, quality));
                metrics.image(model, ImageModels.sizeTag(size.toString()), image.usage(), image.computeMs());
                metrics.tokens(StageNames.IMAGE, model, image.usage());
                return image;
            });
            var storeRetry = new RetryPolicy(config.worker().retry(), RetryingImageStore.ERRORS, clock,
                    RandomGenerator.getDefault(), metrics.retries(StageNames.IMAGE));
            ImageStore retrying = new RetryingImageStore(store, storeRetry);
            // One way from a drawn image to an image-ready, for the stage and its batch lane.
            ImageOutcomes outcomes = new ImageOutcomes(retrying, links, config.imageModel(), clock);
            ImageDefaults defaults = new ImageDefaults(config.defaultSize(), config.quality());
            Optional<String> batchTopic = config.batch().enabled() ? Optional.of(config.batch().pendingTopic()) : Optional.empty();
            stage = new ImageStage(generator, model, outcomes, calls.pool(), clock, errors, defaults, batchTopic, memory);
            if (config.batch().enabled()) {
                // ImageWorkerConfig allows the lane only with OpenAI, whose Batch API it uses.
                BatchApi api = backend.batchApi().orElseThrow(() -> new IllegalStateException("the batch lane needs OpenAI's Batch API"));
                // Its own gate: a key without the Batch API's scope pauses the lane, not the interactive stage beside it.
                laneGate = Worker.gate(BatchLane.STAGE, config.worker(), StageGate.Probe.NONE, clock, metrics, resources);
                String batchModel = config.batch().imageModel().orElse(config.imageModel());
                BatchLane lane = startLane(config, new BatchLane.Drawing(api.lines(batchModel), batchModel, defaults, outcomes, laneGate,
                        errors, stage::drawNow, calls.cancels()), api.client(), metrics, clock);
                resources.add(0, lane);
                batchLane = Optional.of(lane);
            }
        } catch (RuntimeException e) {
            // Before the worker took them over: what was started (the cancels' reader, the call pool, a lane) is closed here.
            Worker.closeAll(NAME, resources);
            throw e;
        }
        Worker<PromptCreated, ImageReady> worker = Worker.start(NAME, config.worker(), stage,
                config.worker().topics().promptCreated(), config.worker().topics().imageReady(), ImageReady.getClassSchema(),
                clock, metrics, calls.gate(), calls.cancels(), resources.toArray(AutoCloseable[]::new));
        worker.readyUnless(calls.cancels()::problem);
        if (laneGate != null) {
            worker.readyUnless(laneGate::pausedReason);
        }
        batchLane.ifPresent(lane -> {
            worker.readyUnless(lane::stoppedReason);
            worker.readyUnless(lane::refusedReason);
        });
        return new ImageWorker(worker);
    }

    /**
     * The image server's side of the worker: the generator for one attempt, the free probe a paused stage asks, what
     * closes with the worker, and the Batch API where the server has one (OpenAI).
     */
    private record Backend(ImageGenerator generator, StageGate.Probe probe, List<AutoCloseable> resources,
                           Optional<BatchApi> batchApi) {
        void close() {
            for (AutoCloseable resource : resources) {
                try {
                    resource.close();
                } catch (Exception e) {
                    // closing after a failed start: the start's own exception is the one to report
                }
            }
        }
    }

    /** What the batch lane draws with: the client of OpenAI's Files and Batches APIs, and the images requests of its lines. */
    private record BatchApi(OpenAIClient client, ImageWorkerConfig config) {
        /** Builds and reads batch lines for a model, in the image stage's output format and compression. */
        OpenAiImageGenerator lines(String model) {
            return new OpenAiImageGenerator(client, model, config.outputFormat(), config.compression(), config.openai().timeout(),
                    ImageMemory.UNBOUNDED); // the lane reads one line at a time itself
        }
    }

    /** OpenAI or a server that speaks its images API; the model lifecycle check first (a model gone stops the start). */
    private static Backend openAi(ImageWorkerConfig config, int inFlight, Time clock, WorkerMetrics metrics, ImageMemory memory) {
        Map<String, String> models = new java.util.LinkedHashMap<>(Map.of("TRAVELART_IMAGE_MODEL", config.imageModel()));
        if (config.batch().enabled()) {
            config.batch().imageModel().ifPresent(model -> models.put("TRAVELART_BATCH_IMAGE_MODEL", model));
        }
        OpenAiConnection openai = OpenAiConnection.open(config.openai(), inFlight, models, config.modelCheck(), clock, metrics.registry());
        OpenAIClient client = openai.client();
        OpenAiImageGenerator generator = new OpenAiImageGenerator(client, config.imageModel(), config.outputFormat(),
                config.compression(), config.openai().timeout(), memory);
        return new Backend(generator, openai.lifecycle().probe(), List.of(openai), Optional.of(new BatchApi(client, config)));
    }

    /**
     * A ComfyUI server. It has no models endpoint, so there is no lifecycle check, and a paused stage (a model file
     * missing on the server) probes with a record of its backlog. A server not up yet is said at start, not fatal: the
     * first calls wait for it within the retry budget.
     */
    private static Backend comfyUi(ImageWorkerConfig config, ComfyUiConfig comfy, Time clock, ImageMemory memory) {
        ComfyUiClient client = new ComfyUiClient(comfy.url(), comfy.callTimeout());
        try {
            var stats = client.systemStats().path("system");
            log.info("ComfyUI {} at {} (version {}), workflow {}, model {}", stats.path("os").asText("?"), comfy.url(),
                    stats.path("comfyui_version").asText("unknown"), comfy.workflow(), config.imageModel());
        } catch (ComfyUiException e) {
            log.warn("ComfyUI at {} cannot be reached yet ({}); jobs wait for it within the retry budget", comfy.url(), e.getMessage());
        }
        var generator = new ComfyUiImageGenerator(client, comfy, config.imageModel(), "travelart-" + config.worker().instanceId(), clock,
                memory);
        return new Backend(generator, StageGate.Probe.NONE, List.of(), Optional.empty());
    }

    /**
     * The batch lane, on its topics (made when missing: the pending one with as many partitions as prompt-created and
     * a week's retention, as a batch may take a day; the batches one compacted).
     */
    private static BatchLane startLane(ImageWorkerConfig config, BatchLane.Drawing drawing, OpenAIClient client,
                                       WorkerMetrics metrics, Time time) {
        BatchLaneConfig lane = config.batch();
        try (TopicSetup setup = new TopicSetup(config.worker().kafka(), Duration.ofSeconds(30))) {
            // The pending topic gets as many partitions as prompt-created has (READ, which the stage needs too, lets it see them).
            setup.requireAccess(new TopicSetup.Access(Map.of(config.worker().topics().promptCreated(), Set.of(AclOperation.READ)),
                    Map.of(), List.of()));
            int partitions = setup.partitionCount(config.worker().topics().promptCreated());
            setup.ensure(lane.pendingTopic(), partitions, Map.of("retention.ms", Long.toString(Duration.ofDays(7).toMillis())));
            setup.ensure(lane.batchesTopic(), 1, Map.of("cleanup.policy", "compact"));
            setup.requireAccess(new TopicSetup.Access(
                    Map.of(lane.pendingTopic(), Set.of(AclOperation.READ, AclOperation.WRITE),
                            lane.batchesTopic(), Set.of(AclOperation.READ, AclOperation.WRITE)),
                    Map.of(BatchLane.GROUP, Set.of(AclOperation.READ)), List.of(BatchLane.transactionalId(config.worker().instanceId()))));
        } catch (KafkaSetupException e) {
            throw new StartupException(e.getMessage(), e);
        }
        EventSerde serde = new EventSerde(new SchemaRegistryClient(config.worker().registry(), time),
                config.worker().registry().autoRegister(), config.worker().maxRecordBytes());
        BatchLane started = new BatchLane(lane, config.worker().kafka(), config.worker().instanceId(),
                config.worker().topics().imageReady(), config.worker().topics().requestFailed(), serde,
                new OpenAiBatches(client, time), drawing, metrics, time);
        started.start();
        return started;
    }

    private static String describe(ImageWorkerConfig config) {
        return switch (config.store()) {
            case ImageStoreConfig.S3 bucket -> "the bucket " + bucket.bucket() + bucket.endpoint().map(e -> " at " + e).orElse("");
            case ImageStoreConfig.Directory(java.nio.file.Path dir) -> "the directory " + dir + " served on " + config.httpHost() + ":"
                    + config.httpPort();
        };
    }

    /** The port of {@code /metrics} and {@code /health/*}. */
    public int managementPort() {
        return worker.managementPort();
    }

    @Override
    public CompletableFuture<Void> finished() {
        return worker.finished();
    }

    /** Stops the stage; its image server and API client stop with it. */
    @Override
    public void close() {
        worker.close();
    }
}
