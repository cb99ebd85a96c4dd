package io.travelart.image.batch;

import com.openai.models.batches.Batch;

import java.util.List;
import java.util.Optional;

/** What the lane asks of a provider's Batch API: OpenAI's ({@link OpenAiBatches}), or a test's. */
interface BatchService {

    /**
     * The batch submitted earlier under this submission id, if the provider has one: a lane that crashed after creating
     * a batch and before recording it finds it here instead of paying for it again.
     */
    Optional<Batch> find(String submission);

    /** Uploads the lines and creates their batch, with the submission id and the last pending offset in its metadata. */
    Batch create(String submission, long lastOffset, List<String> lines);

    Batch retrieve(String batchId);

    /** Opens an output or error file, to be read one line at a time as it downloads ({@link BatchFile}). */
    BatchFile open(String fileId);
}
