package io.travelart.prompt;

import io.travelart.core.call.RateLimiter;
import io.travelart.core.call.RetryPolicy;
import io.travelart.core.call.Sleeper;
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
        var retry = new RetryPolicy(config.worker().retry(), OpenAiErrors.INSTANCE, clock, Sleeper.SYSTEM,
                RandomGenerator.getDefault(), RetryPolicy.Listener.NONE);
        PromptWriter writer = new GuardedPromptWriter(new OpenAiPromptWriter(client, config.chatModel()), retry,
                new RateLimiter("chat requests", config.requestsPerMinute(), clock, Sleeper.SYSTEM),
                new RateLimiter("chat tokens", config.tokensPerMinute(), clock, Sleeper.SYSTEM),
                OpenAiErrors.INSTANCE);
        PromptStage stage = new PromptStage(writer, calls, clock, config.keywordMaxLength(), config.promptMaxLength());
        return Worker.start(NAME, config.worker(), stage, config.worker().topics().keywordRequested(),
                config.worker().topics().promptCreated(), PromptCreated.getClassSchema(), clock,
                calls::shutdownNow, client::close);
    }
}
