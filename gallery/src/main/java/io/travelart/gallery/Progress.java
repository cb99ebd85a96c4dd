package io.travelart.gallery;

import io.travelart.events.RequestBounds;

import java.time.Instant;

/**
 * A request on its way, from the pipeline's own events: asked for (its keyword-requested: the prompt is being written),
 * its prompt written (its prompt-created: drawing, or waiting for a batch when its priority is batch). Its image or its
 * failure replaces it.
 *
 * @param at     when it reached this step
 * @param prompt the prompt, once written
 */
record Progress(long seq, String requestId, String keyword, String sourceSystem, Step step, Instant at, String prompt)
        implements Shown {

    /** What anyone may write to keyword-requested is held cut to the pipeline's bounds: 10 000 cards stay small. */
    Progress {
        keyword = cut(keyword, RequestBounds.KEYWORD_MAX);
        sourceSystem = cut(sourceSystem, RequestBounds.SOURCE_SYSTEM_MAX);
        prompt = cut(prompt, RequestBounds.PROMPT_MAX);
    }

    private static String cut(String text, int max) {
        return text == null || text.length() <= max ? text : text.substring(0, max) + "…";
    }

    enum Step {
        WRITING_PROMPT("writing the prompt"), DRAWING("drawing"), WAITING_FOR_BATCH("waiting for a batch");

        final String words;

        Step(String words) {
            this.words = words;
        }
    }

    @Override
    public String key() {
        return requestId;
    }
}
