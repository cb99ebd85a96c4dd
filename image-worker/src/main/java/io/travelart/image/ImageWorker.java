package io.travelart.image;

import io.travelart.core.openai.OpenAiClients;
import io.travelart.core.worker.CallPool;
import io.travelart.core.worker.Running;
import io.travelart.core.worker.StartupException;
import io.travelart.core.worker.Worker;
import io.travelart.events.ImageReady;
import io.travelart.events.PromptCreated;

import java.io.IOException;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;

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
        var client = OpenAiClients.create(config.openai());
        ImageServer server;
        FileSystemImageStore store;
        try {
            store = new FileSystemImageStore(config.imageDir());
            server = ImageServer.start(config.httpHost(), config.httpPort(), store);
        } catch (IOException e) {
            client.close();
            throw new StartupException("image store or server: cannot start on " + config.httpHost() + ":"
                    + config.httpPort() + " with images in " + config.imageDir() + ": " + e.getMessage(), e);
        }
        String host = config.httpHost().equals("0.0.0.0") || config.httpHost().equals("::") ? "localhost" : config.httpHost();
        String publicBaseUrl = config.publicBaseUrl().orElse("http://" + host + ":" + server.port());
        ExecutorService calls = CallPool.create("image-call", config.worker().maxInFlight());
        ImageStage stage = new ImageStage(new OpenAiImageGenerator(client, config.imageModel(), config.openai().timeout()),
                store, publicBaseUrl, calls, Clock.systemUTC(), config.defaultSize());
        Worker<PromptCreated, ImageReady> worker = Worker.start(NAME, config.worker(), stage,
                config.worker().topics().promptCreated(), config.worker().topics().imageReady(), ImageReady.getClassSchema(),
                Clock.systemUTC(), calls::shutdownNow, client::close, server);
        return new ImageWorker(worker, store);
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
