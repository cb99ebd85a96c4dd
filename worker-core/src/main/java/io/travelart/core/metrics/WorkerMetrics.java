package io.travelart.core.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.travelart.core.failure.ErrorClassifier;
import io.travelart.core.call.RateLimiter;
import io.travelart.core.call.RetryPolicy;
import io.travelart.events.TokenUsage;

import java.time.Duration;
import java.util.function.Supplier;

/**
 * The meters a worker publishes, named in Micrometer's dotted style (Prometheus shows
 * {@code travelart.api.call.duration} as {@code travelart_api_call_duration_seconds}). docs/metrics.md's
 * metrics table lists them; the stage engine adds its own (records, calls in flight, transactions) and
 * the Kafka clients' through the same registry.
 */
public final class WorkerMetrics {

    public static final String API_CALL_DURATION = "travelart.api.call.duration";
    public static final String RETRIES = "travelart.retries";
    public static final String TOKENS = "travelart.tokens.used";
    public static final String IMAGES = "travelart.images.generated";
    public static final String COST = "travelart.cost.estimated";
    /** The lanes a call goes through, the {@code lane} tag of {@link #COST}. */
    public static final String INTERACTIVE = "interactive";
    public static final String BATCH = "batch";
    public static final String RATE_LIMIT_WAIT = "travelart.ratelimiter.wait";

    private final MeterRegistry registry;
    private final PrometheusMeterRegistry prometheus;
    private final PriceTable prices;

    private WorkerMetrics(MeterRegistry registry, PrometheusMeterRegistry prometheus, PriceTable prices) {
        this.registry = registry;
        this.prometheus = prometheus;
        this.prices = prices;
    }

    /** A worker's metrics for Prometheus, tagged with the program and instance, with the JVM's bound. */
    public static WorkerMetrics prometheus(String worker, String instanceId, PriceTable prices) {
        PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        prometheus.config().commonTags("application", worker, "instance", instanceId);
        new JvmMemoryMetrics().bindTo(prometheus);
        new JvmGcMetrics().bindTo(prometheus);
        new JvmThreadMetrics().bindTo(prometheus);
        new ClassLoaderMetrics().bindTo(prometheus);
        new ProcessorMetrics().bindTo(prometheus);
        new UptimeMetrics().bindTo(prometheus);
        new FileDescriptorMetrics().bindTo(prometheus);
        return new WorkerMetrics(prometheus, prometheus, prices);
    }

    /** Meters kept in memory only: for tests and embedded use that scrape nothing. */
    public static WorkerMetrics inMemory() {
        return new WorkerMetrics(new SimpleMeterRegistry(), null, PriceTable.parse(null));
    }

    /** The prices costs are estimated with. */
    public PriceTable prices() {
        return prices;
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** The Prometheus text format, or empty when these metrics are not for Prometheus. */
    public String scrape() {
        return prometheus == null ? "" : prometheus.scrape();
    }

    /** Counts each retry by the error code that caused it. */
    public RetryPolicy.Listener retries(String stage) {
        return (failure, wait) -> Counter.builder(RETRIES).description("Calls retried, by the error code of the failed attempt")
                .tags("stage", stage, "code", failure.code()).register(registry).increment();
    }

    /**
     * Runs one attempt at the provider's API and times it, by outcome: {@code success} or the error code
     * the classifier gives what it threw (thrown on unchanged).
     */
    public <T> T timed(String stage, String model, ErrorClassifier classifier, Supplier<T> call) {
        // The registry's own clock (Micrometer's monotonic time): a test's registry can run on a mock one.
        long started = registry.config().clock().monotonicTime();
        try {
            T result = call.get();
            apiCall(stage, model, Duration.ofNanos(registry.config().clock().monotonicTime() - started), "success");
            return result;
        } catch (RuntimeException e) {
            apiCall(stage, model, Duration.ofNanos(registry.config().clock().monotonicTime() - started), classifier.classify(e).code());
            throw e;
        }
    }

    private void apiCall(String stage, String model, Duration duration, String outcome) {
        Timer.builder(API_CALL_DURATION).description("Calls to the provider's API, per attempt")
                .tags("stage", stage, "model", model, "outcome", outcome)
                .publishPercentileHistogram()
                .register(registry).record(duration);
    }

    /** Tokens a call used as the provider reported them, and their estimated cost. */
    public void tokens(String stage, String model, TokenUsage usage) {
        tokens(stage, model, usage, INTERACTIVE);
    }

    /** As {@link #tokens(String, String, TokenUsage)}, for a lane: {@code batch} calls cost half. Returns the cost. */
    public double tokens(String stage, String model, TokenUsage usage, String lane) {
        if (usage == null) {
            return 0;
        }
        tokenCounter(stage, model, "input").increment(usage.getInputTokens());
        tokenCounter(stage, model, "output").increment(usage.getOutputTokens());
        double factor = BATCH.equals(lane) ? 0.5 : 1.0;
        double usd = prices.of(model).map(p -> p.of(usage.getInputTokens(), usage.getOutputTokens()) * factor).orElse(0.0);
        prices.of(model).ifPresent(p -> cost(stage, model, usd, lane));
        return usd;
    }

    /**
     * An image the provider generated (and billed); priced per image, plus per GPU-second of {@code computeMs} where the
     * server said how long it ran, when it reported no tokens.
     */
    public void image(String model, String size, TokenUsage usage, Long computeMs) {
        Counter.builder(IMAGES).description("Images generated by the provider (each one billed)")
                .tags("model", model, "size", size).register(registry).increment();
        if (usage == null) {
            prices.of(model).ifPresent(p -> cost("IMAGE", model, p.ofImage(computeMs), INTERACTIVE));
        }
    }

    private Counter tokenCounter(String stage, String model, String type) {
        return Counter.builder(TOKENS).description("Tokens used, as the provider reported them")
                .tags("stage", stage, "model", model, "type", type).register(registry);
    }

    private void cost(String stage, String model, double usd, String lane) {
        Counter.builder(COST).baseUnit("usd").description("Estimated cost of the calls made, from TRAVELART_PRICES")
                .tags("stage", stage, "model", model, "lane", lane).register(registry).increment(usd);
    }

    /** Total time callers waited for the limiter's permits, hold-offs after a 429 included. */
    public void bind(RateLimiter limiter, String name) {
        FunctionCounter.builder(RATE_LIMIT_WAIT, limiter, l -> l.waited().toNanos() / 1e9)
                .baseUnit("seconds").description("Time calls waited for the rate limiter")
                .tags(Tags.of("limiter", name)).register(registry);
    }
}
