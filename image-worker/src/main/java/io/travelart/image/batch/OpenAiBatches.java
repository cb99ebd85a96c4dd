package io.travelart.image.batch;

import com.fasterxml.jackson.databind.json.JsonMapper;
import com.openai.client.OpenAIClient;
import com.openai.core.JsonValue;
import com.openai.core.ObjectMappers;
import com.openai.models.batches.Batch;
import com.openai.models.batches.BatchCreateParams;
import com.openai.models.batches.BatchListParams;
import com.openai.models.files.FileCreateParams;
import com.openai.models.files.FilePurpose;
import com.openai.models.images.ImageGenerateParams;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The provider's Batch API as the lane uses it: a JSONL file of image requests (each line's {@code custom_id}
 * the request id), uploaded with purpose {@code batch}, a batch created on it with our submission id in its
 * metadata, read back, and its output and error files downloaded.
 */
public final class OpenAiBatches implements BatchService {

    static final String IMAGES = "/v1/images/generations";
    /**
     * The longest line read from a batch file: one image answer, base64 (a 4096x4096 PNG of incompressible detail
     * is 48 MiB, 64 MiB in base64). A longer one answers nothing and is not held.
     */
    static final int MAX_LINE_BYTES = 72 << 20;
    private static final String SUBMISSION = "travelart_submission";
    private static final String LAST = "travelart_last_offset";
    private static final JsonMapper JSON = ObjectMappers.jsonMapper();

    private final OpenAIClient client;
    private final Clock clock;

    public OpenAiBatches(OpenAIClient client, Clock clock) {
        this.client = client;
        this.clock = clock;
    }

    /** One JSONL line: the same request body the synchronous call sends. */
    static String line(String requestId, ImageGenerateParams params) {
        var line = JSON.createObjectNode();
        line.put("custom_id", requestId);
        line.put("method", "POST");
        line.put("url", IMAGES);
        line.set("body", JSON.valueToTree(params._body()));
        return line.toString();
    }

    /**
     * The batch submitted earlier under this submission id, if the provider has one (created in the last two
     * days): a lane that crashed after creating a batch and before recording it finds it here instead of
     * paying for it again.
     */
    @Override
    public Optional<Batch> find(String submission) {
        long cutoff = clock.instant().minus(Duration.ofDays(2)).getEpochSecond();
        for (Batch batch : client.batches().list(BatchListParams.builder().limit(100).build()).autoPager()) {
            if (batch.createdAt() < cutoff) {
                break;
            }
            if (submission.equals(metadata(batch, SUBMISSION))) {
                return Optional.of(batch);
            }
        }
        return Optional.empty();
    }

    @Override
    public Batch create(String submission, long lastOffset, List<String> lines) {
        byte[] jsonl = (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);
        var file = client.files().create(FileCreateParams.builder().file(jsonl).purpose(FilePurpose.BATCH).build());
        return client.batches().create(BatchCreateParams.builder()
                .inputFileId(file.id())
                .endpoint(BatchCreateParams.Endpoint.V1_IMAGES_GENERATIONS)
                .completionWindow(BatchCreateParams.CompletionWindow._24H)
                .metadata(BatchCreateParams.Metadata.builder()
                        .putAdditionalProperty(SUBMISSION, JsonValue.from(submission))
                        .putAdditionalProperty(LAST, JsonValue.from(Long.toString(lastOffset)))
                        .build())
                .build());
    }

    /** The last pending offset a batch holds, from its metadata. */
    static long lastOffset(Batch batch) {
        return Long.parseLong(metadata(batch, LAST));
    }

    @Override
    public Batch retrieve(String batchId) {
        return client.batches().retrieve(batchId);
    }

    /**
     * An output or error file, read one line at a time as it downloads: a file of 500 images is 1 to 1.7 GB, and only one
     * line of it is held at once. A line over {@link #MAX_LINE_BYTES} is passed over without being held.
     */
    @Override
    public BatchFile open(String fileId) {
        return new BatchFile(client.files().content(fileId).body(), MAX_LINE_BYTES);
    }

    private static String metadata(Batch batch, String key) {
        if (batch.metadata().isEmpty()) {
            return null;
        }
        JsonValue value = batch.metadata().get()._additionalProperties().get(key);
        if (value == null) {
            return null;
        }
        Optional<String> text = value.asString();
        return text.orElse(null);
    }
}
