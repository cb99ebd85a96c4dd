package io.travelart.prompt;

import io.travelart.core.openai.OpenAiClients;
import io.travelart.core.worker.CallPool;
import io.travelart.core.worker.Worker;
import io.travelart.events.KeywordRequested;
import io.travelart.events.PromptCreated;

import java.time.Clock;
import java.util.concurrent.ExecutorService;

/** Wires the prompt-worker: OpenAI client, writer, stage and engine. */
public final class PromptWorker {

    public static final String NAME = "prompt-worker";

    private PromptWorker() {
    }

    public static Worker<KeywordRequested, PromptCreated> start(PromptWorkerConfig config) {
        var client = OpenAiClients.create(config.openai());
        ExecutorService calls = CallPool.create("prompt-call", config.worker().maxInFlight());
        PromptStage stage = new PromptStage(new OpenAiPromptWriter(client, config.chatModel()), calls,
                Clock.systemUTC(), config.keywordMaxLength(), config.promptMaxLength());
        return Worker.start(NAME, config.worker(), stage, config.worker().topics().keywordRequested(),
                config.worker().topics().promptCreated(), PromptCreated.getClassSchema(), Clock.systemUTC(),
                calls::shutdownNow, client::close);
    }
}
