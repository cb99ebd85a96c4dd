package io.travelart.prompt;

import io.travelart.core.engine.ErrorCodes;
import io.travelart.core.engine.Failure;
import io.travelart.core.engine.KeywordStage;
import io.travelart.core.engine.Outcome;
import io.travelart.core.openai.OpenAiErrors;
import io.travelart.events.KeywordRequested;
import io.travelart.events.PromptCreated;

import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/** keyword-requested → prompt-created: checks the request, has the prompt written, checks the answer. */
public final class PromptStage extends KeywordStage<PromptCreated> {

    private final PromptWriter writer;
    private final Executor executor;
    private final Clock clock;
    private final int keywordMaxLength;
    private final PromptCheck check;

    public PromptStage(PromptWriter writer, Executor executor, Clock clock, int keywordMaxLength, int promptMaxLength) {
        this.writer = writer;
        this.executor = executor;
        this.clock = clock;
        this.keywordMaxLength = keywordMaxLength;
        this.check = new PromptCheck(promptMaxLength);
    }

    @Override
    public CompletableFuture<Outcome<PromptCreated>> process(KeywordRequested request) {
        String invalid = validate(request);
        if (invalid != null) {
            return CompletableFuture.completedFuture(Outcome.failed(Failure.permanent(ErrorCodes.INVALID_INPUT, invalid)));
        }
        return CompletableFuture.supplyAsync(() -> write(request), executor);
    }

    private String validate(KeywordRequested request) {
        String keyword = request.getKeyword();
        if (request.getRequestId() == null || request.getRequestId().isBlank()) {
            return "requestId is blank";
        }
        if (keyword == null || keyword.isBlank()) {
            return "keyword is blank";
        }
        int length = keyword.strip().codePointCount(0, keyword.strip().length());
        if (length > keywordMaxLength) {
            return "keyword has " + length + " characters, more than the limit of " + keywordMaxLength;
        }
        return null;
    }

    private Outcome<PromptCreated> write(KeywordRequested request) {
        Instant started = clock.instant();
        WrittenPrompt written;
        try {
            written = writer.write(request);
        } catch (RuntimeException e) {
            return Outcome.failed(OpenAiErrors.INSTANCE.classify(e));
        }
        Instant finished = clock.instant();
        PromptCheck.Result checked = check.check(written.prompt());
        if (checked instanceof PromptCheck.Rejected rejected) {
            return Outcome.failed(rejected.failure());
        }
        return Outcome.published(PromptCreated.newBuilder()
                .setRequestId(request.getRequestId())
                .setRequest(request)
                .setPrompt(((PromptCheck.Accepted) checked).prompt())
                .setModel(written.model())
                .setUsage(written.usage())
                .setPromptLatencyMs(finished.toEpochMilli() - started.toEpochMilli())
                .setCreatedAt(finished)
                .build());
    }
}
