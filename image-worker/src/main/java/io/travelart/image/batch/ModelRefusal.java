package io.travelart.image.batch;

import com.openai.models.batches.Batch;
import com.openai.models.batches.BatchError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Whether the Batch API refuses the lane's model ({@code TRAVELART_BATCH_IMAGE_MODEL}). Resellers report that it does
 * not take every image model the synchronous endpoint takes; OpenAI says so in a batch that fails validation, with
 * errors naming the model. From the first such refusal the lane submits nothing more; its waiting requests wait
 * {@code TRAVELART_BATCH_FALLBACK_AFTER} for an operator to name another model, then go through the interactive lane at
 * full price, instead of waiting forever. The refusal lasts until the worker restarts (a new model, or the same one
 * tried again): nothing short of a paid batch could tell that the provider takes the model now.
 */
final class ModelRefusal {

    private static final Logger log = LoggerFactory.getLogger(ModelRefusal.class);

    private final String model;
    private final Duration fallbackAfter;
    private volatile Instant since;

    ModelRefusal(String model, Duration fallbackAfter) {
        this.model = model;
        this.fallbackAfter = fallbackAfter;
    }

    /** The provider's reason when a batch failed because of its model: errors whose code, parameter or text name a model. */
    static Optional<String> of(Batch batch) {
        if (!"failed".equals(batch.status().asString())) {
            return Optional.empty();
        }
        List<BatchError> errors = batch.errors().flatMap(Batch.Errors::data).orElse(List.of());
        return errors.stream().filter(e -> mentionsModel(e.code()) || mentionsModel(e.param()) || mentionsModel(e.message()))
                .findFirst().map(e -> e.code().orElse("failed") + ": " + e.message().orElse("(no message)"));
    }

    private static boolean mentionsModel(Optional<String> text) {
        return text.map(t -> t.toLowerCase(Locale.ROOT).contains("model")).orElse(false);
    }

    /** Notes a refusal; said once, with what happens next. */
    void refused(String why, Instant now) {
        if (since != null) {
            return;
        }
        since = now;
        log.warn("batch lane: the Batch API refuses the model {} ({}). No more batches are submitted; waiting requests go to the "
                        + "interactive lane at full price from {} (TRAVELART_BATCH_FALLBACK_AFTER={}) unless the worker restarts with "
                        + "TRAVELART_BATCH_IMAGE_MODEL naming a model the Batch API takes",
                model, why, now.plus(fallbackAfter), fallbackAfter);
    }

    String model() {
        return model;
    }

    boolean isRefused() {
        return since != null;
    }

    /** Whether waiting requests go to the interactive lane now. */
    boolean fallingBack(Instant now) {
        Instant at = since;
        return at != null && !at.plus(fallbackAfter).isAfter(now);
    }

    /**
     * For readiness: why batch requests wait, while they wait for the fallback. Once they go through the interactive lane
     * the lane works again (at full price: the {@code travelart.batch.model.refused} gauge and its alert say so).
     */
    Optional<String> waiting(Instant now) {
        Instant at = since;
        if (at == null || fallingBack(now)) {
            return Optional.empty();
        }
        return Optional.of("the Batch API refuses the model " + model + "; batch requests wait, then go to the interactive lane at "
                + at.plus(fallbackAfter));
    }
}
