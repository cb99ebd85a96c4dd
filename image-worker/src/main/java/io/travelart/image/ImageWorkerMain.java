package io.travelart.image;

import io.travelart.core.config.Settings;
import io.travelart.core.worker.LogFormat;
import io.travelart.core.worker.Worker;

/** {@code java -jar image-worker.jar}: configured by environment variables (see the README). */
public final class ImageWorkerMain {
    private ImageWorkerMain() {
    }

    public static void main(String[] args) {
        LogFormat.apply();
        Worker.runMain(ImageWorker.NAME, () -> ImageWorker.start(ImageWorkerConfig.from(Settings.fromEnvironment())));
    }
}
