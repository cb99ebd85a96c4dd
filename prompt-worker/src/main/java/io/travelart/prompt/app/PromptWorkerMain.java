package io.travelart.prompt.app;

import io.travelart.core.config.Settings;
import io.travelart.core.worker.LogFormat;
import io.travelart.core.worker.Worker;

/** {@code java -jar prompt-worker.jar}: configured by environment variables (docs/configuration.md). */
public final class PromptWorkerMain {
    private PromptWorkerMain() {
    }

    public static void main(String[] args) {
        LogFormat.apply();
        Worker.runMain(PromptWorker.NAME, () -> PromptWorker.start(PromptWorkerConfig.from(Settings.fromEnvironment())));
    }
}
