package io.travelart.image.comfyui;

import io.travelart.core.failure.CallFailedException;
import io.travelart.core.failure.ErrorCodes;
import io.travelart.core.failure.Failure;
import io.travelart.core.time.Time;
import io.travelart.image.GeneratedImage;
import io.travelart.image.ImageGenerator;
import io.travelart.image.ImageMemory;
import io.travelart.image.ImageSize;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Draws with a ComfyUI server: fills the operator's workflow, queues it under a prompt id derived from the request id,
 * and follows it by polling {@code /history/{prompt_id}} until it succeeds, fails, or is gone from both the queue and
 * the history (the server restarted). One call of {@link #generate} is one attempt: the retry policy around it calls
 * again for a retriable failure.
 *
 * <p>No job is queued twice for a request: before queueing, the attempt asks the server about the request's prompt id.
 * A job that succeeded already (this worker crashed or restarted before storing its image, or the request was
 * replayed) is fetched, one still queued or running is followed, and only a failed one is queued again (its history
 * entry deleted first, as the id is reused). The quality a request asks for is not sent: a workflow draws at the
 * quality its sampler settings give.
 */
public final class ComfyUiImageGenerator implements ImageGenerator {

    private static final Logger log = LoggerFactory.getLogger(ComfyUiImageGenerator.class);
    /** How often, while a job has no history yet, the queue is read to tell "still waiting" from "lost". */
    private static final Duration QUEUE_CHECK = Duration.ofSeconds(2);

    private final ComfyUiClient client;
    private final ImageMemory memory;
    private final ComfyUiConfig config;
    private final String model;
    private final String clientId;
    private final Time time;

    /** @param clientId ComfyUI's {@code client_id}: which client queued a job, in the server's queue and logs */
    public ComfyUiImageGenerator(ComfyUiClient client, ComfyUiConfig config, String model, String clientId, Time time) {
        this(client, config, model, clientId, time, ImageMemory.UNBOUNDED);
    }

    /** @param memory the room an image waits for before it is fetched from {@code /view} */
    public ComfyUiImageGenerator(ComfyUiClient client, ComfyUiConfig config, String model, String clientId, Time time,
                                 ImageMemory memory) {
        this.memory = memory;
        this.client = client;
        this.config = config;
        this.model = model;
        this.clientId = clientId;
        this.time = time;
    }

    /** The prompt id of a request's job: the same for every attempt, so a job can be found again after a restart. */
    public static String promptId(String requestId) {
        return UUID.nameUUIDFromBytes(("travelart:" + requestId).getBytes(StandardCharsets.UTF_8)).toString();
    }

    /** The seed of a request: a fixed one, or one derived from its id (the same request always draws the same image). */
    public static long seed(String requestId, Optional<Long> fixed) {
        if (fixed.isPresent()) {
            return fixed.get();
        }
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(requestId.getBytes(StandardCharsets.UTF_8));
            // 53 bits: every sampler takes it, and it survives JSON readers that hold numbers as doubles.
            return ByteBuffer.wrap(hash).getLong() >>> 11;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public GeneratedImage generate(String requestId, String prompt, ImageSize size, String quality) {
        String promptId = promptId(requestId);
        Long seed = config.workflow().uses(Workflow.SEED) ? seed(requestId, config.fixedSeed()) : null;
        Optional<ComfyUiClient.Job> earlier = client.history(promptId);
        if (earlier.isPresent() && earlier.get().succeeded()) {
            log.info("request {}: ComfyUI drew it already (job {}); fetching that image instead of queueing it again", requestId, promptId);
            return image(promptId, earlier.get(), seed);
        }
        if (earlier.isPresent()) {
            // An attempt before this one failed: its entry goes, so that the id can be followed afresh.
            client.forget(promptId);
            queue(requestId, promptId, prompt, size, seed);
        } else if (client.queued(promptId)) {
            log.info("request {}: its ComfyUI job {} is queued already; following it", requestId, promptId);
        } else if (client.history(promptId).isPresent()) {
            // It ended between the two reads (no history yet, then no longer queued): its history is there to follow.
            log.info("request {}: its ComfyUI job {} has just ended; following it", requestId, promptId);
        } else {
            queue(requestId, promptId, prompt, size, seed);
        }
        return image(promptId, follow(promptId), seed);
    }

    private void queue(String requestId, String promptId, String prompt, ImageSize size, Long seed) {
        Map<String, Object> values = new HashMap<>();
        values.put(Workflow.PROMPT, prompt);
        values.put(Workflow.NEGATIVE_PROMPT, config.negativePrompt());
        values.put(Workflow.WIDTH, size.width());
        values.put(Workflow.HEIGHT, size.height());
        values.put(Workflow.REQUEST_ID, requestId);
        if (seed != null) {
            values.put(Workflow.SEED, seed);
        }
        client.queue(promptId, config.workflow().fill(values), clientId, Map.of("travelart_request_id", requestId));
    }

    /** Waits for the job's history: its end, or its loss. */
    private ComfyUiClient.Job follow(String promptId) {
        long started = time.nanoTime();
        long queueCheckedAt = started;
        while (true) {
            sleep(config.pollInterval());
            Optional<ComfyUiClient.Job> job = client.history(promptId);
            if (job.isPresent()) {
                return job.get();
            }
            long now = time.nanoTime();
            if (now - started > config.jobTimeout().toNanos()) {
                client.cancel(promptId);
                throw ComfyUiException.timedOut(promptId, config.jobTimeout());
            }
            if (now - queueCheckedAt >= QUEUE_CHECK.toNanos() || config.pollInterval().compareTo(QUEUE_CHECK) >= 0) {
                queueCheckedAt = now;
                // Finished between the two reads, or gone: ask the history once more before calling it lost.
                if (!client.queued(promptId) && client.history(promptId).isEmpty()) {
                    throw ComfyUiException.lost(promptId, "is neither queued nor in the history: the server restarted, "
                            + "or the job was deleted from its queue");
                }
            }
        }
    }

    private GeneratedImage image(String promptId, ComfyUiClient.Job job, Long seed) {
        if (!job.succeeded()) {
            if (job.errorType().filter("execution_interrupted"::equals).isPresent()) {
                throw ComfyUiException.lost(promptId, "was interrupted on the server");
            }
            if (job.error().isPresent()) {
                throw ComfyUiException.executionFailed(promptId, job.error().get());
            }
            throw ComfyUiException.lost(promptId, "ended with status '" + job.status() + "' and no error message");
        }
        ComfyUiClient.ImageRef ref = job.images().stream().filter(i -> i.type().equals("output")).findFirst()
                .or(() -> job.images().stream().findFirst())
                .orElseThrow(() -> ComfyUiException.invalid("job " + promptId + " succeeded but saved no image: "
                        + "the workflow needs an output node such as SaveImage"));
        memory.enter();
        byte[] bytes = client.view(ref);
        return new GeneratedImage(bytes, null, model, null, seed, job.computeMs().orElse(null));
    }

    private void sleep(Duration duration) {
        try {
            time.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CallFailedException(Failure.retriable(ErrorCodes.INTERRUPTED, "the worker stopped while following a ComfyUI job"), e);
        }
    }
}
