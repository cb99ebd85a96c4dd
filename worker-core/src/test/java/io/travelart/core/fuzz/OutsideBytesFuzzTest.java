package io.travelart.core.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.travelart.core.InMemorySchemas;
import io.travelart.core.engine.AnsweredOffsets;
import io.travelart.core.serde.DecodeException;
import io.travelart.core.serde.EventSerde;
import io.travelart.events.ImageReady;
import io.travelart.events.KeywordRequested;
import io.travelart.events.PromptCreated;
import io.travelart.events.RequestFailed;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Coverage-guided fuzzing (Jazzer) of what worker-core parses from outside: event records and commit metadata.
 * {@code mvn verify} replays the committed corpus ({@code src/test/resources/io/travelart/core/fuzz/OutsideBytesFuzzTestInputs/})
 * in regression mode; {@code JAZZER_FUZZ=1 mvn test -pl worker-core -Dtest=OutsideBytesFuzzTest#METHOD} fuzzes one target
 * (docs/testing.md says more).
 */
class OutsideBytesFuzzTest {

    private static final List<Class<? extends SpecificRecord>> TYPES =
            List.of(KeywordRequested.class, PromptCreated.class, ImageReady.class, RequestFailed.class);
    private static final List<Schema> SCHEMAS = List.of(KeywordRequested.getClassSchema(), PromptCreated.getClassSchema(),
            ImageReady.getClassSchema(), RequestFailed.getClassSchema());
    private static final InMemorySchemas REGISTRY = new InMemorySchemas();
    private static final EventSerde SERDE = new EventSerde(REGISTRY, true, 1 << 20);

    static {
        for (Schema schema : SCHEMAS) {
            REGISTRY.register(schema.getFullName(), schema);
        }
    }

    /**
     * Any bytes after a valid header of any event type, read as any event type: an event, or a {@link DecodeException}
     * saying why not; nothing else escapes, and nothing the bytes declare is allocated (a length bomb would end the
     * run with an OutOfMemoryError under the fuzzer's heap).
     */
    @FuzzTest(maxDuration = "5m")
    void anyBytesAfterAValidHeaderAreAnEventOrADecodeError(byte[] data) {
        if (data.length < 1) {
            return;
        }
        int writer = (data[0] & 0x7f) % SCHEMAS.size();
        Class<? extends SpecificRecord> reader = TYPES.get(((data[0] & 0xff) >> 7) == 0 ? writer : (writer + 1) % TYPES.size());
        byte[] record = ByteBuffer.allocate(data.length + 4).put((byte) 0).putInt(writer + 1).put(data, 1, data.length - 1).array();
        try {
            SpecificRecord event = SERDE.deserialize(record, reader);
            assertThat(event).isInstanceOf(reader);
        } catch (DecodeException expected) {
            assertThat(expected.getMessage()).isNotBlank();
        }
    }

    /** Any bytes at all (header included), as a keyword-requested: an event or a decode error. */
    @FuzzTest(maxDuration = "5m")
    void anyBytesAreAKeywordRequestedOrADecodeError(byte[] data) {
        try {
            SERDE.deserialize(data, KeywordRequested.class);
        } catch (DecodeException expected) {
            assertThat(expected.getMessage()).isNotBlank();
        }
    }

    /**
     * Any commit metadata (another tool's, or forged): what it decodes to re-encodes to itself, or it is not ours and
     * skips nothing; it never throws.
     */
    @FuzzTest(maxDuration = "5m")
    void anyCommitMetadataDecodesToRangesThatEncodeBackOrToNothing(byte[] data) {
        if (data.length < 8) {
            return;
        }
        long base = ByteBuffer.wrap(data, 0, 8).getLong() & Long.MAX_VALUE;
        String metadata = new String(data, 8, data.length - 8, StandardCharsets.UTF_8);
        AnsweredOffsets.decode(base, metadata).ifPresent(answered -> {
            String again = answered.encode(base);
            assertThat(again.length()).isEqualTo(answered.encodedLength(base));
            assertThat(AnsweredOffsets.decode(base, again)).contains(answered);
            assertThat(answered.contains(base)).as("the committed offset itself is never answered").isFalse();
        });
    }
}
