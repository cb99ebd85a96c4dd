package io.travelart.prompt;

import io.travelart.core.call.RateLimiter;
import io.travelart.core.call.RetryPolicy;
import io.travelart.core.call.Sleeper;
import io.travelart.core.engine.StageNames;
import io.travelart.core.metrics.WorkerMetrics;
import io.travelart.core.openai.OpenAiClients;
import io.travelart.core.openai.OpenAiErrors;
import io.travelart.core.worker.CallPool;
import io.travelart.core.worker.Worker;
import io.travelart.events.KeywordRequested;
import io.travelart.events.PromptCreated;

import java.time.Clock;
import java.util.concurrent.ExecutorService;
import java.util.random.RandomGenerator;

/** Wires the prompt-worker: OpenAI client, writer guarded by rate limits and retries, stage and engine. */
public final class PromptWorker {

    public static final String NAME = "prompt-worker";

    private PromptWorker() {
    }

    public static Worker<KeywordRequested, PromptCreated> start(PromptWorkerConfig config) {
        Clock clock = Clock.systemUTC();
        int inFlight = config.worker().maxInFlight();
        var client = OpenAiClients.create(config.openai(), inFlight);
        ExecutorService calls = CallPool.create("prompt-call", inFlight);
        WorkerMetrics metrics = WorkerMetrics.prometheus(NAME, config.worker().instanceId(), config.worker().prices());
        var retry = new RetryPolicy(config.worker().retry(), OpenAiErrors.INSTANCE, clock, Sleeper.SYSTEM,
                RandomGenerator.getDefault(), metrics.retries(StageNames.PROMPT));
        var requests = new RateLimiter("chat requests", config.requestsPerMinute(), clock, Sleeper.SYSTEM);
        var tokens = new RateLimiter("chat tokens", config.tokensPerMinute(), clock, Sleeper.SYSTEM);
        metrics.bind(requests, "chat-requests");
        metrics.bind(tokens, "chat-tokens");
        PromptWriter writer = new GuardedPromptWriter(
                new MeteredPromptWriter(new OpenAiPromptWriter(client, config.chatModel()), config.chatModel(), metrics, OpenAiErrors.INSTANCE),
                retry, requests, tokens, OpenAiErrors.INSTANCE);
        PromptStage stage = new PromptStage(writer, calls, clock, config.keywordMaxLength(), config.promptMaxLength());
        return Worker.start(NAME, config.worker(), stage, config.worker().topics().keywordRequested(),
                config.worker().topics().promptCreated(), PromptCreated.getClassSchema(), clock, metrics,
                calls::shutdownNow, client::close);
    }
}
