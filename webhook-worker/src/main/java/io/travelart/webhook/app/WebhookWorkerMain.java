package io.travelart.webhook.app;

import io.travelart.core.config.Settings;
import io.travelart.core.worker.LogFormat;
import io.travelart.core.worker.Worker;

/** {@code java -jar webhook-worker.jar}: configured by environment variables (docs/configuration.md). */
public final class WebhookWorkerMain {
    private WebhookWorkerMain() {
    }

    public static void main(String[] args) {
        LogFormat.apply();
        Worker.runMain(WebhookWorker.NAME, () -> WebhookWorker.start(WebhookWorkerConfig.from(Settings.fromEnvironment())));
    }
}
