package io.travelart.core.failure;

/** Values of {@code RequestFailed.stage}. */
public final class StageNames {
    /** Before any stage: the record could not be decoded. */
    public static final String INGEST = "INGEST";
    public static final String PROMPT = "PROMPT";
    public static final String IMAGE = "IMAGE";

    private StageNames() {
    }
}
