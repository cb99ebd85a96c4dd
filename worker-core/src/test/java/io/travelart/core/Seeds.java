package io.travelart.core;

import java.util.Random;
import java.util.function.Consumer;

/**
 * Property runs on seeded randomness, for the bookkeeping properties: each try gets a {@link Random} of its own
 * seed, derived from a fixed base so that every build tries the same cases; a failure names its seed, and
 * {@code -Dtravelart.seed=N} runs that one case alone. (Plain JUnit rather than a property library: jqwik asks
 * not to be used with coding agents, QuickTheories is unmaintained since 2019, and Jazzer's mutators are for
 * byte parsers; what is lost is shrinking, so the generators here keep cases small.)
 */
public final class Seeds {

    private static final long BASE = 20_261_204L;

    private Seeds() {
    }

    public static void check(String property, int tries, Consumer<Random> check) {
        Long only = Long.getLong("travelart.seed");
        if (only != null) {
            run(property, only, check);
            return;
        }
        for (int i = 0; i < tries; i++) {
            run(property, BASE + i * 0x9E3779B97F4A7C15L, check);
        }
    }

    private static void run(String property, long seed, Consumer<Random> check) {
        try {
            check.accept(new Random(seed));
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError(property + " failed for seed " + seed + " (-Dtravelart.seed=" + seed + " runs it alone): "
                    + e.getMessage(), e);
        }
    }
}
