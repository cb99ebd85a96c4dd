package io.travelart.image.batch;

import io.travelart.core.config.Settings;

import java.time.Duration;
import java.util.Optional;

/**
 * The batch lane's settings: {@code TRAVELART_BATCH_LANE} (true for OpenAI, false for ComfyUI; false draws batch requests at once like any
 * other), {@code TRAVELART_BATCH_MAX_REQUESTS} (500: a batch is submitted when it holds this many; at most
 * {@value #MAX_REQUESTS_LIMIT}, as an ended batch's outputs are written in one transaction and held until then),
 * {@code TRAVELART_BATCH_MAX_AGE} (10m: or when its oldest request has waited this long),
 * {@code TRAVELART_BATCH_POLL_INTERVAL} (1m: how often an open batch is asked about),
 * {@code TRAVELART_BATCH_CHUNK} (50: lines of an ended batch's files answered per transaction and per turn of the lane),
 * {@code TRAVELART_BATCH_IMAGE_MODEL} (unset: the image model; the model batch lines name),
 * {@code TRAVELART_BATCH_FALLBACK_AFTER} (1h: how long batch requests wait after the Batch API refused that model
 * before they go through the interactive lane at full price), and its two topics,
 * {@code TRAVELART_TOPIC_BATCH_PENDING} (image-batch-pending: requests waiting for a batch) and
 * {@code TRAVELART_TOPIC_BATCHES} (image-batches, compacted: the batches submitted, by id).
 */
public record BatchLaneConfig(boolean enabled, int maxRequests, Duration maxAge, Duration pollInterval, int answerChunk,
                              String pendingTopic, String batchesTopic, Optional<String> imageModel, Duration fallbackAfter) {

    /**
     * The largest batch the lane makes. OpenAI takes 50,000 lines, but while a batch gathers the lane holds its requests'
     * pending records (a few KB each), and it makes the batch's input file in memory (about 1 KB a line, held two or
     * three times over while uploaded): 5,000 keeps that within tens of MB of a worker's heap. Answering a batch holds
     * a chunk, whatever the batch's size.
     */
    public static final int MAX_REQUESTS_LIMIT = 5_000;

    public static BatchLaneConfig from(Settings settings) {
        return from(settings, true);
    }

    /** @param byDefault whether the lane is on when TRAVELART_BATCH_LANE is unset: off for backends without a Batch API */
    public static BatchLaneConfig from(Settings settings, boolean byDefault) {
        return new BatchLaneConfig(
                settings.bool("TRAVELART_BATCH_LANE", byDefault),
                settings.intValue("TRAVELART_BATCH_MAX_REQUESTS", 500, 1, MAX_REQUESTS_LIMIT),
                settings.duration("TRAVELART_BATCH_MAX_AGE", Duration.ofMinutes(10)),
                settings.duration("TRAVELART_BATCH_POLL_INTERVAL", Duration.ofMinutes(1)),
                settings.intValue("TRAVELART_BATCH_CHUNK", 50, 1, 1_000),
                settings.string("TRAVELART_TOPIC_BATCH_PENDING", "image-batch-pending"),
                settings.string("TRAVELART_TOPIC_BATCHES", "image-batches"),
                settings.optional("TRAVELART_BATCH_IMAGE_MODEL"),
                settings.duration("TRAVELART_BATCH_FALLBACK_AFTER", Duration.ofHours(1)));
    }
}
