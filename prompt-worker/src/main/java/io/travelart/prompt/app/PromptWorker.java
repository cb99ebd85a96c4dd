package io.travelart.prompt.app;

import io.travelart.prompt.Moderator;
import io.travelart.prompt.PromptStage;
import io.travelart.prompt.PromptWriter;
import io.travelart.prompt.WrittenPrompt;
import io.travelart.prompt.openai.OpenAiModerator;
import io.travelart.prompt.openai.OpenAiPromptWriter;
import io.travelart.core.call.RateLimiter;
import io.travelart.core.time.Time;
import io.travelart.core.config.ConfigException;
import io.travelart.core.failure.StageNames;
import io.travelart.core.metrics.WorkerMetrics;
import io.travelart.core.openai.OpenAiConnection;
import io.travelart.core.openai.OpenAiErrors;
import io.travelart.core.worker.StageCalls;
import io.travelart.core.worker.Worker;
import io.travelart.events.KeywordRequested;
import io.travelart.events.PromptCreated;

import java.util.ArrayList;
import java.util.List;

/** Wires the prompt-worker: OpenAI client, writer guarded by rate limits and retries, stage and engine. */
public final class PromptWorker {

    public static final String NAME = "prompt-worker";

    private PromptWorker() {
    }

    public static Worker<KeywordRequested, PromptCreated> start(PromptWorkerConfig config) {
        Time time = Time.SYSTEM;
        WorkerMetrics metrics = WorkerMetrics.prometheus(NAME, config.worker().instanceId(), config.worker().prices());
        OpenAiConnection openai = OpenAiConnection.open(config.openai(), config.worker().maxInFlight(), config.models(),
                config.modelCheck(), time, metrics.registry());
        Moderator moderator = config.moderation() ? new OpenAiModerator(openai.client(), config.moderationModel()) : Moderator.OFF;
        try {
            requireModerationEndpoint(config, moderator);
        } catch (RuntimeException e) {
            openai.close();
            throw e;
        }
        List<AutoCloseable> resources = new ArrayList<>(List.of(openai));
        StageCalls calls;
        PromptStage stage;
        try {
            calls = StageCalls.start(StageNames.PROMPT, config.worker(), openai.lifecycle().probe(), new OpenAiErrors(time), time,
                    metrics, resources);
            RateLimiter requests = calls.limit("chat requests", config.requestsPerMinute(), "chat-requests");
            RateLimiter tokens = calls.limit("chat tokens", config.tokensPerMinute(), "chat-tokens");
            String model = config.chatModel();
            OpenAiPromptWriter chat = new OpenAiPromptWriter(openai.client(), model);
            PromptWriter writer = request -> calls.guard().call(requests, () -> {
                // Tokens are taken on an estimate before the call, and the difference given back once the answer says.
                long estimate = OpenAiPromptWriter.estimatedTokens(request);
                tokens.acquire(estimate);
                WrittenPrompt written = metrics.timed(StageNames.PROMPT, model, calls.errors(), () -> chat.write(request));
                metrics.tokens(StageNames.PROMPT, model, written.usage());
                if (written.usage() != null) {
                    tokens.adjust(written.usage().getTotalTokens() - estimate);
                }
                return written;
            });
            // The free check shares the retry policy and the gate (a refused key pauses the stage here too), not the chat limits.
            Moderator guarded = request -> calls.guard().call(() -> moderator.flagged(request));
            stage = new PromptStage(writer, config.moderation() ? guarded : Moderator.OFF, config.imageProvider(),
                    config.imageModel(), calls.pool(), time, calls.errors(), config.keywordMaxLength(), config.promptMaxLength());
        } catch (RuntimeException e) {
            // Before the worker took them over: what was started is closed here.
            Worker.closeAll(NAME, resources);
            throw e;
        }
        Worker<KeywordRequested, PromptCreated> worker = Worker.start(NAME, config.worker(), stage,
                config.worker().topics().keywordRequested(), config.worker().topics().promptCreated(), PromptCreated.getClassSchema(),
                time, metrics, calls.gate(), calls.cancels(), resources.toArray(AutoCloseable[]::new));
        worker.readyUnless(calls.cancels()::problem);
        return worker;
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
