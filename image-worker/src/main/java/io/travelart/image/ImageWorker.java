package io.travelart.image;

import io.travelart.core.call.RateLimiter;
import io.travelart.core.call.RetryPolicy;
import io.travelart.core.time.Time;
import io.travelart.core.engine.StageGate;
import io.travelart.core.failure.StageNames;
import io.travelart.core.metrics.WorkerMetrics;
import io.travelart.core.openai.ModelLifecycle;
import io.travelart.core.openai.OpenAiClients;
import io.travelart.core.openai.OpenAiErrors;
import io.travelart.core.worker.CallPool;
import io.travelart.core.worker.Running;
import io.travelart.core.worker.StartupException;
import io.travelart.core.worker.Worker;
import io.travelart.events.ImageReady;
import io.travelart.events.PromptCreated;

import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.random.RandomGenerator;

/** The running image-worker: its stage (which owns the image server and the API client) and its store. */
public final class ImageWorker implements Running {

    public static final String NAME = "image-worker";

    private final Worker<PromptCreated, ImageReady> worker;
    private final FileSystemImageStore store;

    private ImageWorker(Worker<PromptCreated, ImageReady> worker, FileSystemImageStore store) {
        this.worker = worker;
        this.store = store;
    }

    public static ImageWorker start(ImageWorkerConfig config) {
        Time clock = Time.SYSTEM;
        int inFlight = config.worker().maxInFlight();
        WorkerMetrics metrics = WorkerMetrics.prometheus(NAME, config.worker().instanceId(), config.worker().prices());
        var client = OpenAiClients.create(config.openai(), inFlight);
        var lifecycle = new ModelLifecycle(client, Map.of("TRAVELART_IMAGE_MODEL", config.imageModel()), config.modelCheck(),
                clock, metrics.registry());
        ImageServer server;
        FileSystemImageStore store;
        try {
            lifecycle.requireUsable();
            store = new FileSystemImageStore(config.imageDir());
            server = ImageServer.start(config.httpHost(), config.httpPort(), store);
        } catch (IOException e) {
            lifecycle.close();
            client.close();
            throw new StartupException("image store or server: cannot start on " + config.httpHost() + ":"
                    + config.httpPort() + " with images in " + config.imageDir() + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            lifecycle.close();
            client.close();
            throw e;
        }
        String host = config.httpHost().equals("0.0.0.0") || config.httpHost().equals("::") ? "localhost" : config.httpHost();
        String publicBaseUrl = config.publicBaseUrl().orElse("http://" + host + ":" + server.port());
        ExecutorService calls = CallPool.create("image-call", inFlight);
        List<AutoCloseable> resources = new ArrayList<>(List.<AutoCloseable>of(calls::shutdownNow, client::close, server, lifecycle));
        StageGate gate = Worker.gate(StageNames.IMAGE, config.worker(), lifecycle.probe(), metrics, resources);
        var retry = new RetryPolicy(config.worker().retry(), OpenAiErrors.INSTANCE, clock,
                RandomGenerator.getDefault(), metrics.retries(StageNames.IMAGE));
        var images = new RateLimiter("images", config.imagesPerMinute(), clock);
        metrics.bind(images, "images");
        ImageGenerator generator = new GuardedImageGenerator(
                new MeteredImageGenerator(new OpenAiImageGenerator(client, config.imageModel(), config.outputFormat(),
                        config.compression(), config.openai().timeout()), config.imageModel(), metrics, OpenAiErrors.INSTANCE),
                retry, images, gate, OpenAiErrors.INSTANCE);
        ImageStage stage = new ImageStage(generator, config.imageModel(), store, publicBaseUrl, calls, clock,
                config.defaultSize(), config.quality());
        Worker<PromptCreated, ImageReady> worker = Worker.start(NAME, config.worker(), stage,
                config.worker().topics().promptCreated(), config.worker().topics().imageReady(), ImageReady.getClassSchema(),
                clock, metrics, gate, resources.toArray(AutoCloseable[]::new));
        return new ImageWorker(worker, store);
    }

    /** The port of {@code /metrics} and {@code /health/*}. */
    public int managementPort() {
        return worker.managementPort();
    }

    public FileSystemImageStore store() {
        return store;
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
