package io.travelart.prompt;

import io.travelart.core.failure.ErrorCodes;
import io.travelart.core.failure.Failure;
import io.travelart.core.engine.Outcome;
import io.travelart.events.KeywordRequested;
import io.travelart.events.PromptCreated;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

class PromptStageTest {

    private final AtomicInteger calls = new AtomicInteger();
    private String answer = "Paris on a snowy winter night, quiet and romantic, painted in watercolor.";

    private final PromptWriter writer = request -> {
        calls.incrementAndGet();
        if (answer == null) {
            throw new ModelRefusalException("I can't help with that.");
        }
        return new WrittenPrompt(answer, "gpt-5.4-mini-2026-03-17", null);
    };

    private final AtomicInteger moderated = new AtomicInteger();
    private final Moderator moderator = request -> {
        moderated.incrementAndGet();
        return request.getKeyword().contains("#flagged") || "#flagged".equals(request.getStyle()) ? List.of("violence") : List.of();
    };

    private final PromptStage stage = new PromptStage(writer, moderator, io.travelart.core.images.ImageProvider.OPENAI, "gpt-image-2.6-flare", Runnable::run, Clock.systemUTC(), new io.travelart.core.openai.OpenAiErrors(Clock.systemUTC()), 200, 1200);

    private static KeywordRequested request(String keyword) {
        return KeywordRequested.newBuilder().setRequestId("r-1").setKeyword(keyword).setRequestedAt(Instant.now()).build();
    }

    private Failure failure(String keyword) {
        return failure(request(keyword));
    }

    private Failure failure(KeywordRequested request) {
        Outcome<PromptCreated> outcome = stage.process(request).join();
        assertThat(outcome).isInstanceOf(Outcome.Failed.class);
        return ((Outcome.Failed<PromptCreated>) outcome).failure();
    }

    @Test
    void writesThePromptEventWithTheModelThatAnswered() {
        Outcome<PromptCreated> outcome = stage.process(request("겨울밤의 파리")).join();

        PromptCreated created = ((Outcome.Published<PromptCreated>) outcome).event();
        assertThat(created.getPrompt()).isEqualTo(answer);
        assertThat(created.getModel()).isEqualTo("gpt-5.4-mini-2026-03-17");
        assertThat(created.getRequest().getKeyword()).isEqualTo("겨울밤의 파리");
        assertThat(calls).hasValue(1);
    }

    @Test
    void blankOrOverlongKeywordsFailAsInvalidInputWithoutACall() {
        assertThat(failure("   ").code()).isEqualTo(ErrorCodes.INVALID_INPUT);
        Failure tooLong = failure("파".repeat(201));
        assertThat(tooLong.code()).isEqualTo(ErrorCodes.INVALID_INPUT);
        assertThat(tooLong.retriable()).isFalse();
        assertThat(tooLong.message()).contains("201 characters").contains("200");
        assertThat(calls).hasValue(0);

        assertThat(stage.process(request("파".repeat(200))).join()).isInstanceOf(Outcome.Published.class);
    }

    @Test
    void aSizeOrQualityTheImageModelDoesNotTakeFailsBeforeAnyCall() {
        Failure size = failure(KeywordRequested.newBuilder(request("Paris")).setImageSize("1000x1000").build());
        assertThat(size.code()).isEqualTo(ErrorCodes.INVALID_INPUT);
        assertThat(size.message()).isEqualTo("imageSize 1000x1000: gpt-image-2.6-flare needs both edges divisible by 16");
        Failure wide = failure(KeywordRequested.newBuilder(request("Paris")).setImageSize("3840x1024").build());
        assertThat(wide.message()).contains("aspect ratio between 1:3 and 3:1");
        Failure malformed = failure(KeywordRequested.newBuilder(request("Paris")).setImageSize("huge").build());
        assertThat(malformed.message()).contains("is not WIDTHxHEIGHT");
        Failure quality = failure(KeywordRequested.newBuilder(request("Paris")).setQuality("ultra").build());
        assertThat(quality.code()).isEqualTo(ErrorCodes.INVALID_INPUT);
        assertThat(quality.message()).isEqualTo("quality 'ultra' is not one of low, medium, high, xhigh, max, auto");
        assertThat(calls).hasValue(0);
        assertThat(moderated).hasValue(0);

        assertThat(stage.process(KeywordRequested.newBuilder(request("Paris")).setImageSize("1536x864").setQuality("max").build())
                .join()).isInstanceOf(Outcome.Published.class);
    }

    @Test
    void aFlaggedKeywordOrStyleIsAContentPolicyFailureWithoutAPaidCall() {
        Failure keyword = failure("Paris #flagged");
        assertThat(keyword.code()).isEqualTo(ErrorCodes.CONTENT_POLICY);
        assertThat(keyword.retriable()).isFalse();
        assertThat(keyword.message()).isEqualTo("the moderation check flagged the keyword or style: violence");
        assertThat(failure(KeywordRequested.newBuilder(request("Paris")).setStyle("#flagged").build()).code())
                .isEqualTo(ErrorCodes.CONTENT_POLICY);
        assertThat(calls).hasValue(0);
        assertThat(moderated).hasValue(2);
    }

    @Test
    void aRefusalIsAContentPolicyFailure() {
        answer = null;
        Failure failure = failure("somewhere");
        assertThat(failure.code()).isEqualTo(ErrorCodes.CONTENT_POLICY);
        assertThat(failure.retriable()).isFalse();
    }

    @Test
    void anAnswerThatIsNotOnePromptIsAnInvalidAnswer() {
        answer = "Here are two ideas:\n\n1. Paris.\n2. Rome.";
        assertThat(failure("Paris").code()).isEqualTo(ErrorCodes.INVALID_ANSWER);
    }
}
