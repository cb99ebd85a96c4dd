package io.travelart.core.engine;

import io.travelart.core.Seeds;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class AnsweredOffsetsTest {

    @Test
    void whatIsEncodedDecodesToTheSameRangesAndTheLengthIsKnownBeforehand() {
        // The edges first (the smallest and largest base, no ranges), then seeded cases.
        roundTrip(0, List.of());
        roundTrip(Long.MAX_VALUE / 4, List.of(100_000, 100_000, 1, 1));
        roundTrip(0, List.of(1, 1));
        Seeds.check("encode then decode", 500, random -> {
            long base = random.nextInt(4) == 0 ? random.nextInt(1000) : (random.nextLong() & Long.MAX_VALUE) / 4;
            List<Integer> steps = new java.util.ArrayList<>();
            int n = random.nextInt(51);
            for (int i = 0; i < n; i++) {
                steps.add(random.nextBoolean() ? 1 + random.nextInt(3) : 1 + random.nextInt(100_000));
            }
            roundTrip(base, steps);
        });
    }

    private static void roundTrip(long base, List<Integer> steps) {
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
        assertThat(AnsweredOffsets.decode(5, "ta1:")).as("ours, answering nothing, as empty metadata").isEmpty();
        assertThat(AnsweredOffsets.decode(5, "ta1:AAE")).as("the committed offset itself answered: a new owner would skip it").isEmpty();
    }
}
