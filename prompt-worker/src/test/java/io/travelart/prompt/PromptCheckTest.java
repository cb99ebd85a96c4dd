package io.travelart.prompt;

import io.travelart.core.failure.ErrorCodes;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class PromptCheckTest {

    private final PromptCheck check = new PromptCheck(200);

    private String accepted(String answer) {
        PromptCheck.Result result = check.check(answer);
        assertThat(result).isInstanceOf(PromptCheck.Accepted.class);
        return ((PromptCheck.Accepted) result).prompt();
    }

    private String rejected(String answer) {
        PromptCheck.Result result = check.check(answer);
        assertThat(result).isInstanceOf(PromptCheck.Rejected.class);
        var failure = ((PromptCheck.Rejected) result).failure();
        assertThat(failure.code()).isEqualTo(ErrorCodes.INVALID_ANSWER);
        assertThat(failure.retriable()).isTrue();
        return failure.message();
    }

    @Test
    void tidiesQuotesAndLineBreaksInsideOneParagraph() {
        assertThat(accepted("  \"Paris at night, watercolor.\"\n")).isEqualTo("Paris at night, watercolor.");
        assertThat(accepted("Paris at night,\nwatercolor.")).isEqualTo("Paris at night, watercolor.");
    }

    @Test
    void rejectsEmptyMultiParagraphAndOverlongAnswers() {
        assertThat(rejected("   ")).contains("empty");
        assertThat(rejected(null)).contains("empty");
        assertThat(rejected("Prompt one.\n\nPrompt two.")).contains("more than one paragraph");
        assertThat(rejected("x".repeat(201))).contains("201 characters");
    }
}
