package io.travelart.cli.bench;

import org.HdrHistogram.Histogram;

/** Latencies of one measured path, in milliseconds with microsecond resolution. */
public final class Latencies {

    private final Histogram histogram = new Histogram(3_600_000_000L, 3);

    void record(long nanos) {
        histogram.recordValue(Math.max(0, nanos / 1_000));
    }

    long count() {
        return histogram.getTotalCount();
    }

    public double percentileMillis(double percentile) {
        return histogram.getTotalCount() == 0 ? Double.NaN : histogram.getValueAtPercentile(percentile) / 1000.0;
    }
}
