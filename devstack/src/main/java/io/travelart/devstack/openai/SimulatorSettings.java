package io.travelart.devstack.openai;

import io.travelart.devstack.image.ImageDetail;
import java.time.Duration;

/**
 * How the OpenAI simulator behaves. Changeable while it runs ({@link OpenAiSimulator#settings(SimulatorSettings)}).
 *
 * @param chatLatency       time a chat completion takes
 * @param imageLatency      time an image generation takes
 * @param jitter            each latency varies by up to this fraction either way (0.2 = ±20%)
 * @param imageMode         how images are returned when the request does not say: B64_JSON, or URL (expiring links, like DALL·E)
 * @param urlTtl            how long a URL-mode link works
 * @param refusalMarker     any chat or image request whose text contains this is refused as content_policy_violation
 * @param faultStatus       0 for none; else this HTTP status (429, 500, 503, ...) is answered with probability {@code faultRate}
 * @param faultRate         share of calls answered with {@code faultStatus}
 * @param retryAfter        sent with 429s as {@code retry-after-ms} and {@code Retry-After}
 * @param imagesPerMinute   0 for none; else image calls beyond this rate are answered 429, as OpenAI does: at most
 *                          one second's share at once ({@code imagesPerMinute / 60}, at least 1), refilled evenly
 * @param reuseImages       draw one image per size and answer every call with it, so that a benchmark measures the
 *                          pipeline, not the simulator's drawing (50-100 ms of CPU per 1024x1024 image)
 * @param dialect           whose images answer to give: OpenAI's, or that of a server that speaks its API its own way
 * @param imageDetail       how much an image weighs: REALISTIC (the default, a 1024x1024 PNG about 2.4 MB) or PLAIN
 *                          (tens of KB), for synchronous answers, URL files and batch output lines alike
 */
public record SimulatorSettings(Duration chatLatency, Duration imageLatency, double jitter, ImageMode imageMode,
                                Duration urlTtl, String refusalMarker, int faultStatus, double faultRate,
                                Duration retryAfter, int imagesPerMinute, boolean reuseImages, Dialect dialect,
                                ImageDetail imageDetail) {

    public enum ImageMode { B64_JSON, URL }

    /**
     * How {@code /v1/images/generations} answers, after the servers' documented shapes. OpenAI-compatible servers take
     * any model name and ignore {@code quality} and {@code output_format}.
     */
    public enum Dialect {
        /** OpenAI: base64 for GPT image models, token usage ({@code input_tokens}, {@code output_tokens}). */
        OPENAI,
        /**
         * LocalAI: a URL to the image under {@code /generated-images/} unless {@code response_format} is b64_json, an
         * {@code id} and an {@code embedding} per image, and a chat-style usage ({@code prompt_tokens}) of zeros.
         */
        LOCALAI,
        /** vLLM-Omni: base64 only, {@code url} and {@code revised_prompt} null, no usage. */
        VLLM_OMNI
    }

    public static final String DEFAULT_REFUSAL_MARKER = "#content-policy";
    /** Text containing this is flagged (category violence) by {@code POST /v1/moderations}. */
    public static final String FLAG_MARKER = "#flagged";

    public static SimulatorSettings defaults() {
        return new SimulatorSettings(Duration.ofMillis(200), Duration.ofMillis(500), 0.2, ImageMode.B64_JSON,
                Duration.ofHours(1), DEFAULT_REFUSAL_MARKER, 0, 0.0, Duration.ofSeconds(1), 0, false, Dialect.OPENAI,
                ImageDetail.REALISTIC);
    }

    /** No simulated latency: for tests that care about behaviour, not time. */
    public static SimulatorSettings instant() {
        return defaults().withLatency(Duration.ZERO, Duration.ZERO);
    }

    public SimulatorSettings withLatency(Duration chat, Duration image) {
        return new SimulatorSettings(chat, image, jitter, imageMode, urlTtl, refusalMarker, faultStatus, faultRate, retryAfter,
                imagesPerMinute, reuseImages, dialect, imageDetail);
    }

    public SimulatorSettings withJitter(double share) {
        return new SimulatorSettings(chatLatency, imageLatency, share, imageMode, urlTtl, refusalMarker, faultStatus, faultRate,
                retryAfter, imagesPerMinute, reuseImages, dialect, imageDetail);
    }

    public SimulatorSettings withFaults(int status, double rate) {
        return new SimulatorSettings(chatLatency, imageLatency, jitter, imageMode, urlTtl, refusalMarker, status, rate, retryAfter,
                imagesPerMinute, reuseImages, dialect, imageDetail);
    }

    public SimulatorSettings withImagesPerMinute(int limit) {
        return new SimulatorSettings(chatLatency, imageLatency, jitter, imageMode, urlTtl, refusalMarker, faultStatus, faultRate,
                retryAfter, limit, reuseImages, dialect, imageDetail);
    }

    public SimulatorSettings withReusedImages(boolean reuse) {
        return new SimulatorSettings(chatLatency, imageLatency, jitter, imageMode, urlTtl, refusalMarker, faultStatus, faultRate,
                retryAfter, imagesPerMinute, reuse, dialect, imageDetail);
    }

    public SimulatorSettings withDialect(Dialect answers) {
        return new SimulatorSettings(chatLatency, imageLatency, jitter, imageMode, urlTtl, refusalMarker, faultStatus, faultRate,
                retryAfter, imagesPerMinute, reuseImages, answers, imageDetail);
    }

    /** PLAIN images (tens of KB) for tests that need speed; REALISTIC (megabytes) is the default. */
    public SimulatorSettings withImageDetail(ImageDetail detail) {
        return new SimulatorSettings(chatLatency, imageLatency, jitter, imageMode, urlTtl, refusalMarker, faultStatus, faultRate,
                retryAfter, imagesPerMinute, reuseImages, dialect, detail);
    }
}
