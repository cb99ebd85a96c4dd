package io.travelart.system;

import io.travelart.core.config.Settings;
import io.travelart.core.config.WorkerConfig;
import io.travelart.image.app.ImageWorkerConfig;
import io.travelart.prompt.app.PromptWorkerConfig;
import io.travelart.webhook.app.WebhookWorkerConfig;

import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/** A worker's settings as a deployment file gives them (compose, Kubernetes): each one must be read, and accepted. */
final class WorkerSettings {

    /** How each worker reads its settings, by worker name. */
    static final Map<String, Function<Settings, WorkerConfig>> WORKERS = Map.of(
            "prompt-worker", s -> PromptWorkerConfig.from(s).worker(),
            "image-worker", s -> ImageWorkerConfig.from(s).worker(),
            "webhook-worker", s -> WebhookWorkerConfig.from(s).worker());

    private WorkerSettings() {
    }

    /** The worker's configuration from {@code env} (a bad value throws, as at start), with every name in it read. */
    static WorkerConfig readsAll(String worker, Map<String, String> env) {
        Settings settings = Settings.of(env);
        WorkerConfig config = WORKERS.get(worker).apply(settings);
        Set<String> read = settings.namesRead();
        assertThat(env.keySet()).as("settings given to %s", worker).allSatisfy(name ->
                assertThat(read.contains(name) || (name.startsWith("KAFKA_") && read.contains("KAFKA_*")))
                        .as("%s reads %s", worker, name).isTrue());
        return config;
    }
}
