package io.travelart.image.app;

import io.travelart.core.config.Settings;
import io.travelart.core.worker.LogFormat;
import io.travelart.core.worker.Worker;

/** {@code java -jar image-worker.jar}: configured by environment variables (docs/configuration.md). */
public final class ImageWorkerMain {
    private ImageWorkerMain() {
    }

    public static void main(String[] args) {
        LogFormat.apply();
        Worker.runMain(ImageWorker.NAME, () -> ImageWorker.start(ImageWorkerConfig.from(Settings.fromEnvironment())));
    }
}
