package io.travelart.core.results;

import io.travelart.core.metrics.PriceTable;
import io.travelart.events.ImageReady;
import io.travelart.events.KeywordRequested;
import io.travelart.events.Priorities;
import io.travelart.events.PromptCreated;
import io.travelart.events.RequestFailed;
import io.travelart.events.TokenUsage;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class RequestStatusTest {

    private static final PriceTable PRICES = PriceTable.parse("");
    private static final Instant T0 = Instant.parse("2026-12-05T09:00:00Z");
    private static final TokenUsage PROMPT_USAGE = new TokenUsage(100L, 200L, 300L);
    private static final TokenUsage IMAGE_USAGE = new TokenUsage(50L, 4000L, 4050L);

    private static KeywordRequested request(String priority) {
        return KeywordRequested.newBuilder().setRequestId("r1").setKeyword("겨울밤의 파리").setSourceSystem("shop")
                .setRequestedAt(T0).setPriority(priority).build();
    }

    private static PromptCreated prompt(KeywordRequested request) {
        return PromptCreated.newBuilder().setRequestId("r1").setRequest(request).setPrompt("Paris at night in winter")
                .setModel("gpt-5.4-mini").setUsage(PROMPT_USAGE).setPromptLatencyMs(900L).setCreatedAt(T0.plusSeconds(1)).build();
    }

    private static ImageReady ready(KeywordRequested request, String lane) {
        return ImageReady.newBuilder().setRequestId("r1").setRequest(request).setPrompt("Paris at night in winter")
                .setImageUrl("https://img.example/r1.png").setContentType("image/png").setSizeBytes(10L).setSha256("ab")
                .setWidth(1024).setHeight(1024).setPromptModel("gpt-5.4-mini").setImageModel("gpt-image-2.6-flare")
                .setPromptUsage(PROMPT_USAGE).setImageUsage(IMAGE_USAGE).setPromptLatencyMs(900L).setImageLatencyMs(9000L)
                .setCreatedAt(T0.plusSeconds(10)).setLane(lane).build();
    }

    private static RequestFailed failed(String stage, String code, boolean retriable) {
        return RequestFailed.newBuilder().setRequestId("r1").setKeyword("겨울밤의 파리").setStage(stage).setErrorCode(code)
                .setMessage("it failed").setRetriable(retriable).setAttempts(1).setFirstFailureAt(T0).setLastFailureAt(T0)
                .setOriginTopic("prompt-created").setOriginPartition(0).setOriginOffset(7L).setOriginalHeaders(java.util.List.of()).build();
    }

    private static RequestStatus.Fold fold() {
        return new RequestStatus.Fold("r1", PRICES);
    }

    @Test
    void aRequestMovesFromWritingThePromptToDrawingToReadyAndItsCostGrowsWithEachPaidCall() {
        KeywordRequested request = request(null);
        RequestStatus.Fold fold = fold().requested(request, T0);
        assertThat(fold.status().orElseThrow().state()).isEqualTo(RequestStatus.State.WRITING_PROMPT);
        assertThat(fold.status().orElseThrow().costUsd()).isZero();

        fold.prompted(prompt(request), T0.plusSeconds(1));
        RequestStatus drawing = fold.status().orElseThrow();
        assertThat(drawing.state()).isEqualTo(RequestStatus.State.DRAWING);
        assertThat(drawing.costUsd()).isCloseTo(PRICES.promptCost("gpt-5.4-mini", PROMPT_USAGE), within(1e-12)).isPositive();

        fold.ready(ready(request, null), T0.plusSeconds(10));
        RequestStatus done = fold.status().orElseThrow();
        assertThat(done.state()).isEqualTo(RequestStatus.State.READY);
        assertThat(done.costUsd()).isCloseTo(PRICES.requestCost(ready(request, null)), within(1e-12)).isGreaterThan(drawing.costUsd());
        assertThat(done.steps()).extracting(RequestStatus.Step::what).containsExactly("asked for", "prompt written", "ready");
        assertThat(done.steps()).extracting(RequestStatus.Step::at).containsExactly(T0, T0.plusSeconds(1), T0.plusSeconds(10));
        assertThat(done.keyword()).contains("겨울밤의 파리");
        assertThat(done.sourceSystem()).contains("shop");
        assertThat(done.ready().orElseThrow().getImageUrl()).isEqualTo("https://img.example/r1.png");
    }

    @Test
    void aBatchRequestWaitsThenIsInItsBatchAndCostsHalfTheImage() {
        KeywordRequested request = request(Priorities.BATCH);
        RequestStatus.Fold fold = fold().requested(request, T0).prompted(prompt(request), T0.plusSeconds(1));
        assertThat(fold.status().orElseThrow().state()).isEqualTo(RequestStatus.State.WAITING_FOR_BATCH);
        fold.pending(T0.plusSeconds(1)).batched("batch_1", T0.plusSeconds(60));
        RequestStatus inBatch = fold.status().orElseThrow();
        assertThat(inBatch.state()).isEqualTo(RequestStatus.State.IN_BATCH);
        assertThat(inBatch.batchId()).contains("batch_1");
        // Its batch's model refused it: back to waiting, then a second batch.
        fold.pending(T0.plusSeconds(90)).batched("batch_2", T0.plusSeconds(120)).ready(ready(request, Priorities.BATCH), T0.plusSeconds(200));
        RequestStatus done = fold.status().orElseThrow();
        assertThat(done.batchId()).contains("batch_2");
        double image = PRICES.imageCost("gpt-image-2.6-flare", IMAGE_USAGE, null);
        assertThat(done.costUsd()).isCloseTo(PRICES.promptCost("gpt-5.4-mini", PROMPT_USAGE) + image / 2, within(1e-12));
        assertThat(done.steps()).extracting(RequestStatus.Step::what).containsExactly("asked for", "prompt written",
                "waiting for a batch", "in batch batch_1", "waiting for a batch", "in batch batch_2", "ready");
    }

    @Test
    void aFailedRequestThatIsReplayedEndsReadyAndReadyIsTheEnd() {
        KeywordRequested request = request(null);
        RequestStatus.Fold fold = fold().requested(request, T0).prompted(prompt(request), T0.plusSeconds(1))
                .failed(failed("IMAGE", "UPSTREAM_5XX", true), T0.plusSeconds(5));
        RequestStatus failed = fold.status().orElseThrow();
        assertThat(failed.state()).isEqualTo(RequestStatus.State.FAILED);
        assertThat(failed.state().isFinal()).isTrue();
        assertThat(failed.failure().orElseThrow().getErrorCode()).isEqualTo("UPSTREAM_5XX");
        assertThat(failed.costUsd()).as("the prompt was paid").isPositive();

        fold.requested(request, T0.plusSeconds(60)).prompted(prompt(request), T0.plusSeconds(61)).ready(ready(request, null), T0.plusSeconds(70));
        // A redelivery's events after the end change nothing.
        fold.failed(failed("IMAGE", "UPSTREAM_5XX", true), T0.plusSeconds(80)).ready(ready(request, null), T0.plusSeconds(81));
        RequestStatus done = fold.status().orElseThrow();
        assertThat(done.state()).isEqualTo(RequestStatus.State.READY);
        assertThat(done.failure()).isEmpty();
        assertThat(done.steps()).extracting(RequestStatus.Step::what).containsExactly("asked for", "prompt written",
                "failed at IMAGE: UPSTREAM_5XX", "asked for again (replayed)", "prompt written", "ready");
    }

    @Test
    void aRecordThatNeverDecodedIsKnownByItsFailureAloneAndNoEventIsNoStatus() {
        assertThat(fold().status()).isEmpty();
        RequestStatus ingest = fold().failed(failed("INGEST", "INGEST", false), T0).status().orElseThrow();
        assertThat(ingest.state()).isEqualTo(RequestStatus.State.FAILED);
        assertThat(ingest.keyword()).contains("겨울밤의 파리");
        assertThat(ingest.costUsd()).isZero();
    }
}
