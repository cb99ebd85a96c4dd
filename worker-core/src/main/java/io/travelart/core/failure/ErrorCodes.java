package io.travelart.core.failure;

/** The error codes of {@code RequestFailed.errorCode}. Strings, not an enum: the set is open. */
public final class ErrorCodes {
    /** The input event is well-formed but its content is not accepted (blank or too long keyword, bad size). */
    public static final String INVALID_INPUT = "INVALID_INPUT";
    /** The record could not be decoded: not our wire format, unknown schema id, or not valid Avro. */
    public static final String INGEST = "INGEST";
    /** The provider refused the content (HTTP 400 content_policy_violation or a model refusal). */
    public static final String CONTENT_POLICY = "CONTENT_POLICY";
    /** HTTP 429 from the provider. */
    public static final String RATE_LIMITED = "RATE_LIMITED";
    /** HTTP 5xx from the provider. */
    public static final String UPSTREAM_5XX = "UPSTREAM_5XX";
    /** Any other HTTP 4xx from the provider (400 other than content policy, 404, 409, 422). */
    public static final String UPSTREAM_4XX = "UPSTREAM_4XX";
    /** HTTP 401 or 403: the API key is missing, wrong or not allowed. The worker's failure: the stage pauses. */
    public static final String AUTH = "AUTH";
    /** HTTP 404 model_not_found: the configured model is shut down or not served. The worker's failure: the stage pauses. */
    public static final String MODEL_UNAVAILABLE = "MODEL_UNAVAILABLE";
    /** HTTP 429 insufficient_quota: the account is out of credit, not rate limited. The worker's failure: the stage pauses. */
    public static final String QUOTA_EXHAUSTED = "QUOTA_EXHAUSTED";
    /** The call timed out. */
    public static final String TIMEOUT = "TIMEOUT";
    /** The provider could not be reached or the connection broke. */
    public static final String NETWORK = "NETWORK";
    /** The provider answered, but not with what we asked for (empty, several paragraphs, too long, undecodable). */
    public static final String INVALID_ANSWER = "INVALID_ANSWER";
    /** The request was in a batch that expired or was cancelled before its line ran (retriable: a replay submits it again). */
    public static final String BATCH_EXPIRED = "BATCH_EXPIRED";
    /**
     * A self-hosted image server (ComfyUI) dropped the job: interrupted there, or lost when the server restarted (its
     * queue lives in memory). Retriable: queueing it again draws it.
     */
    public static final String JOB_LOST = "JOB_LOST";
    /** Storing or fetching the image failed. */
    public static final String STORAGE = "STORAGE";
    /** The worker stopped while the call waited to be retried; a replay picks it up. */
    public static final String INTERRUPTED = "INTERRUPTED";
    /**
     * Someone asked to stop the request ({@code travelart cancel}, a record on request-cancelled) before its next paid
     * call started; the message says who, when and why. Permanent: {@code replay} leaves it unless told otherwise.
     */
    public static final String CANCELLED = "CANCELLED";
    /**
     * A webhook endpoint did not acknowledge a delivery: it answered something else than a 2xx (retried; a redirect is
     * not followed and not retried). On webhook-failed only, where the message says what it answered.
     */
    public static final String WEBHOOK_REJECTED = "WEBHOOK_REJECTED";
    /**
     * A webhook endpoint had as many events waiting for it as it may hold up (it does not acknowledge, or too slowly),
     * so this one was not tried: recorded on webhook-failed at once, for {@code travelart webhooks replay}.
     */
    public static final String WEBHOOK_BACKLOG = "WEBHOOK_BACKLOG";
    /** A bug on our side; the message says what happened. */
    public static final String INTERNAL = "INTERNAL";

    private ErrorCodes() {
    }

    /**
     * Whether a failure with this code belongs to the worker, not to the request: every request would
     * fail the same way until the key, the model or the account is fixed. Such a failure pauses the
     * stage instead of failing the backlog, and is never retried call by call.
     */
    public static boolean belongsToWorker(String code) {
        return AUTH.equals(code) || MODEL_UNAVAILABLE.equals(code) || QUOTA_EXHAUSTED.equals(code);
    }
}
