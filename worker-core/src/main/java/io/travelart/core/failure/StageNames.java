package io.travelart.core.failure;

/** Values of {@code RequestFailed.stage}. */
public final class StageNames {
    /** Before any stage: the record could not be decoded. */
    public static final String INGEST = "INGEST";
    public static final String PROMPT = "PROMPT";
    public static final String IMAGE = "IMAGE";
    /** The webhook-worker, on webhook-failed only: an event its endpoint did not acknowledge. */
    public static final String WEBHOOK = "WEBHOOK";

    private StageNames() {
    }
}
