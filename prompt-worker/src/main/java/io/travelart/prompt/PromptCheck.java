package io.travelart.prompt;

import io.travelart.core.failure.ErrorCodes;
import io.travelart.core.failure.Failure;

/** Checks and tidies a model's answer: one non-empty paragraph, within the length limit. */
final class PromptCheck {

    private final int maxLength;

    PromptCheck(int maxLength) {
        this.maxLength = maxLength;
    }

    /** Either the tidy prompt, or why the answer is not one. */
    sealed interface Result permits Accepted, Rejected {
    }

    record Accepted(String prompt) implements Result {
    }

    record Rejected(Failure failure) implements Result {
    }

    Result check(String answer) {
        String text = answer == null ? "" : answer.strip();
        if (text.length() >= 2 && (text.startsWith("\"") && text.endsWith("\"") || text.startsWith("“") && text.endsWith("”"))) {
            text = text.substring(1, text.length() - 1).strip();
        }
        if (text.isEmpty()) {
            return rejected("the model's answer is empty");
        }
        if (text.lines().filter(String::isBlank).findAny().isPresent()) {
            return rejected("the model's answer has more than one paragraph");
        }
        text = text.replaceAll("\\s*\\R\\s*", " ");
        if (text.length() > maxLength) {
            return rejected("the model's answer has " + text.length() + " characters, more than " + maxLength);
        }
        return new Accepted(text);
    }

    private static Result rejected(String message) {
        return new Rejected(Failure.retriable(ErrorCodes.INVALID_ANSWER, message));
    }
}
