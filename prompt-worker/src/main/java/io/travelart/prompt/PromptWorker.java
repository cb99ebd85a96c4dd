package io.travelart.prompt;

import io.travelart.core.call.RateLimiter;
import io.travelart.core.call.RetryPolicy;
import io.travelart.core.time.Time;
import io.travelart.core.config.ConfigException;
import io.travelart.core.engine.StageGate;
import io.travelart.core.failure.StageNames;
import io.travelart.core.metrics.WorkerMetrics;
import io.travelart.core.openai.ModelLifecycle;
import io.travelart.core.openai.OpenAiClients;
import io.travelart.core.openai.OpenAiErrors;
import io.travelart.core.worker.CallPool;
import io.travelart.core.worker.Worker;
import io.travelart.events.KeywordRequested;
import io.travelart.events.PromptCreated;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.random.RandomGenerator;

/** Wires the prompt-worker: OpenAI client, writer guarded by rate limits and retries, stage and engine. */
public final class PromptWorker {

    public static final String NAME = "prompt-worker";

    private PromptWorker() {
    }

    public static Worker<KeywordRequested, PromptCreated> start(PromptWorkerConfig config) {
        Time clock = Time.SYSTEM;
        int inFlight = config.worker().maxInFlight();
        WorkerMetrics metrics = WorkerMetrics.prometheus(NAME, config.worker().instanceId(), config.worker().prices());
        var client = OpenAiClients.create(config.openai(), inFlight);
        var lifecycle = new ModelLifecycle(client, config.models(), config.modelCheck(), clock, metrics.registry());
        Moderator moderator = config.moderation() ? new OpenAiModerator(client, config.moderationModel()) : Moderator.OFF;
        try {
            lifecycle.requireUsable();
            requireModerationEndpoint(config, moderator);
        } catch (RuntimeException e) {
            lifecycle.close();
            client.close();
            throw e;
        }
        ExecutorService calls = CallPool.create("prompt-call");
        List<AutoCloseable> resources = new ArrayList<>(List.<AutoCloseable>of(calls::shutdownNow, client::close, lifecycle));
        StageGate gate = Worker.gate(StageNames.PROMPT, config.worker(), lifecycle.probe(), metrics, resources);
        var retry = new RetryPolicy(config.worker().retry(), OpenAiErrors.INSTANCE, clock,
                RandomGenerator.getDefault(), metrics.retries(StageNames.PROMPT));
        var requests = new RateLimiter("chat requests", config.requestsPerMinute(), clock);
        var tokens = new RateLimiter("chat tokens", config.tokensPerMinute(), clock);
        metrics.bind(requests, "chat-requests");
        metrics.bind(tokens, "chat-tokens");
        PromptWriter writer = new GuardedPromptWriter(
                new MeteredPromptWriter(new OpenAiPromptWriter(client, config.chatModel()), config.chatModel(), metrics, OpenAiErrors.INSTANCE),
                retry, requests, tokens, gate, OpenAiErrors.INSTANCE);
        // The free check shares the retry policy and the gate (a refused key pauses the stage here too), not the chat limits.
        Moderator guardedModerator = request -> retry.call(() -> gate.watch(OpenAiErrors.INSTANCE::classify,
                () -> moderator.flagged(request)));
        PromptStage stage = new PromptStage(writer, config.moderation() ? guardedModerator : Moderator.OFF, config.imageProvider(), config.imageModel(),
                calls, clock, config.keywordMaxLength(), config.promptMaxLength());
        return Worker.start(NAME, config.worker(), stage, config.worker().topics().keywordRequested(),
                config.worker().topics().promptCreated(), PromptCreated.getClassSchema(), clock, metrics, gate,
                resources.toArray(AutoCloseable[]::new));
    }

    /**
     * With moderation on, one free call at start: a provider without {@code /v1/moderations} would otherwise
     * fail every request, so it stops the worker with a line that says what to set instead.
     */
    private static void requireModerationEndpoint(PromptWorkerConfig config, Moderator moderator) {
        if (!config.moderation()) {
            return;
        }
        try {
            moderator.flagged(KeywordRequested.newBuilder().setRequestId("travelart-start-check").setKeyword("Kyoto in autumn rain")
                    .setRequestedAt(java.time.Instant.EPOCH).build());
        } catch (com.openai.errors.OpenAIServiceException e) {
            if (e.code().filter("model_not_found"::equals).isPresent()) {
                throw new ConfigException("TRAVELART_MODERATION_MODEL=" + config.moderationModel() + " is not served by the provider: "
                        + "name another, or set TRAVELART_MODERATION=false");
            }
            if (e.statusCode() == 404 || e.statusCode() == 405 || e.statusCode() == 501) {
                throw new ConfigException("TRAVELART_MODERATION is on, but " + config.openai().baseUrl() + " has no moderations endpoint "
                        + "(HTTP " + e.statusCode() + "): set TRAVELART_MODERATION=false for this provider");
            }
            // Any other answer (a refused key, a 5xx): the lifecycle check has said so, or the stage pauses on it.
        } catch (RuntimeException e) {
            // The provider is unreachable or refuses the key: the lifecycle check has said so, or the stage pauses on it.
        }
    }
}
