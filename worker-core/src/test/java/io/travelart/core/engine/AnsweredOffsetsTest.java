package io.travelart.core.engine;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class AnsweredOffsetsTest {

    @Property(tries = 500)
    void whatIsEncodedDecodesToTheSameRangesAndTheLengthIsKnownBeforehand(
            @ForAll @LongRange(min = 0, max = Long.MAX_VALUE / 4) long base,
            @ForAll @Size(max = 50) List<@IntRange(min = 1, max = 100_000) Integer> steps) {
        AnsweredOffsets.Builder builder = new AnsweredOffsets.Builder();
        long cursor = base;
        for (int i = 0; i + 1 < steps.size(); i += 2) {
            long from = cursor + steps.get(i);
            long to = from + steps.get(i + 1);
            builder.add(from, to);
            cursor = to;
        }
        AnsweredOffsets answered = builder.build();
        String metadata = answered.encode(base);
        assertThat(metadata.length()).isEqualTo(answered.encodedLength(base));
        if (answered.isEmpty()) {
            assertThat(metadata).isEmpty();
        } else {
            assertThat(AnsweredOffsets.decode(base, metadata)).contains(answered);
        }
    }

    @Test
    void aFewRangesTakeAFewCharacters() {
        AnsweredOffsets answered = new AnsweredOffsets.Builder().add(1_000_003, 1_000_005).add(1_000_010, 1_000_011).build();
        assertThat(answered.encode(1_000_000)).isEqualTo("ta1:AwIFAQ");
        assertThat(answered.contains(1_000_004)).isTrue();
        assertThat(answered.contains(1_000_005)).isFalse();
    }

    @Test
    void metadataThatIsNotOursSkipsNothing() {
        assertThat(AnsweredOffsets.decode(5, "")).isEmpty();
        assertThat(AnsweredOffsets.decode(5, null)).isEmpty();
        assertThat(AnsweredOffsets.decode(5, "committed by some other tool")).isEmpty();
        assertThat(AnsweredOffsets.decode(5, "ta1:!!")).isEmpty();
        assertThat(AnsweredOffsets.decode(5, "ta1:Aw")).as("a gap without its length").isEmpty();
    }
}
