package io.travelart.cli.bench;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the bench says of one stage (or of the whole pipeline): requests through, throughput, the
 * theoretical limit and the ratio to it, and latency percentiles.
 */
public record StageFigures(String name, long requests, double seconds, double throughput, double limit, double p50, double p95,
                    double p99) {

    static StageFigures of(String name, long requests, long firstNanos, long lastNanos, double limit, Latencies latencies) {
        double seconds = Math.max(1e-9, (lastNanos - firstNanos) / 1e9);
        return new StageFigures(name, requests, seconds, requests / seconds, limit,
                latencies.percentileMillis(50), latencies.percentileMillis(95), latencies.percentileMillis(99));
    }

    public double ratio() {
        return limit > 0 ? throughput / limit : Double.NaN;
    }

    public Map<String, Object> json() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("requests", requests);
        m.put("seconds", round(seconds));
        m.put("throughput", round(throughput));
        m.put("limit", limit > 0 ? round(limit) : null);
        m.put("ratio", limit > 0 ? round(ratio()) : null);
        m.put("p50", round(p50));
        m.put("p95", round(p95));
        m.put("p99", round(p99));
        return m;
    }

    public static Double round(double value) {
        return Double.isNaN(value) ? null : Math.round(value * 1000) / 1000.0;
    }
}
