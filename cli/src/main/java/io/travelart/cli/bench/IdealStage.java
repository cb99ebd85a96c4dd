package io.travelart.cli.bench;

import java.time.Duration;
import java.util.Arrays;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

/**
 * What the best possible image stage would have reached on a run's own workload: the prompts arriving when they did,
 * {@code slots} calls at once, each as long as the simulator makes it (the latency, give or take its jitter, drawn
 * uniformly as the simulator draws it), no overhead at all, each call started the moment both a prompt and a slot are
 * there. Its ratio to the limit is the ceiling the measured ratio is read against: a run of few waves of long calls
 * spends much of its time filling the first wave and draining the last, and no worker can make up for that.
 */
final class IdealStage {

    private IdealStage() {
    }

    /**
     * The ideal stage's throughput over the limit ({@code slots / latency}), from the first arrival to the last call's
     * end, averaged over {@code draws} draws of the latencies.
     *
     * @param arrivals when each prompt arrived, nanoseconds on any common origin
     */
    static double ratio(long[] arrivals, int slots, Duration latency, double jitter, int draws, long seed) {
        if (arrivals.length == 0) {
            return Double.NaN;
        }
        long[] sorted = arrivals.clone();
        Arrays.sort(sorted);
        double latencySeconds = latency.toNanos() / 1e9;
        double limit = slots / latencySeconds;
        SplittableRandom random = new SplittableRandom(seed);
        double sum = 0;
        for (int d = 0; d < draws; d++) {
            PriorityQueue<Double> free = new PriorityQueue<>();
            for (int i = 0; i < Math.min(slots, sorted.length); i++) {
                free.add(0.0);
            }
            double last = 0;
            for (long arrival : sorted) {
                double at = (arrival - sorted[0]) / 1e9;
                double start = Math.max(free.poll(), at);
                double end = start + latencySeconds * (1 + (random.nextDouble() * 2 - 1) * jitter);
                last = Math.max(last, end);
                free.add(end);
            }
            sum += sorted.length / last / limit;
        }
        return sum / draws;
    }
}
