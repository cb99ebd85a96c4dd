package io.travelart.core.engine;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The meters of a running engine, tagged with its stage: the worker's metrics endpoint shows them, and
 * tests and the bench read them here. Safe to read from any thread.
 */
public final class EngineStats {

    public static final String CONSUMED = "travelart.records.consumed";
    public static final String PUBLISHED = "travelart.records.published";
    public static final String IN_FLIGHT = "travelart.calls.in.flight";
    public static final String TRANSACTIONS = "travelart.transactions";
    public static final String PAUSES = "travelart.engine.pauses";
    public static final String REBALANCES = "travelart.engine.rebalances";
    public static final String POLLS = "travelart.engine.polls";
    public static final String LAG = "travelart.consumer.lag";
    public static final String FAILURES = "travelart.requests.failed";

    final Counter polls;
    final Counter consumed;
    final Counter published;
    final Counter failed;
    /** Records answered with nothing to publish (Outcome.Passed). */
    final Counter passed;
    final Timer transactions;
    final Counter pauses;
    final Counter rebalances;
    final AtomicInteger inFlight = new AtomicInteger();
    private final MeterRegistry registry;
    private final String stage;

    /** The meters of a stage; another loop that publishes for a stage (the batch lane) counts what it commits here too. */
    public EngineStats(MeterRegistry registry, String stage) {
        this.registry = registry;
        this.stage = stage;
        polls = Counter.builder(POLLS).description("Polls made, including those that returned nothing").tag("stage", stage).register(registry);
        consumed = Counter.builder(CONSUMED).description("Records read from the input topic").tag("stage", stage).register(registry);
        published = Counter.builder(PUBLISHED).description("Records answered and committed, by outcome: the stage's output (published), request-failed (failed), or nothing to publish (none)")
                .tags("stage", stage, "outcome", "published").register(registry);
        failed = Counter.builder(PUBLISHED).description("Records answered and committed, by outcome: the stage's output (published), request-failed (failed), or nothing to publish (none)")
                .tags("stage", stage, "outcome", "failed").register(registry);
        passed = Counter.builder(PUBLISHED).description("Records answered and committed, by outcome: the stage's output (published), request-failed (failed), or nothing to publish (none)")
                .tags("stage", stage, "outcome", "none").register(registry);
        transactions = Timer.builder(TRANSACTIONS).description("Transactions committed, and the time committing took")
                .tag("stage", stage).register(registry);
        pauses = Counter.builder(PAUSES).description("Times the engine paused its partitions at capacity").tag("stage", stage).register(registry);
        rebalances = Counter.builder(REBALANCES).description("Partition revocations and losses seen").tag("stage", stage).register(registry);
        Gauge.builder(IN_FLIGHT, inFlight, AtomicInteger::get).description("Stage calls started and not yet finished")
                .tag("stage", stage).register(registry);
    }

    /** Counts outputs sent in a transaction that has committed: the stage's outputs, and request-failed by error code. */
    public void committed(java.util.Collection<Output.Send> sent) {
        for (Output.Send output : sent) {
            if (output.passed()) {
                passed.increment();
            } else if (output.failed()) {
                failed.increment();
                failures(output.failureCode()).increment();
            } else {
                published.increment();
            }
        }
    }

    /** request-failed events committed with this error code. */
    Counter failures(String code) {
        return Counter.builder(FAILURES).description("request-failed events committed, by error code").tags("stage", stage, "code", code)
                .register(registry);
    }

    /** Polls made, including those that returned nothing. */
    public long polls() {
        return (long) polls.count();
    }

    public long consumed() {
        return (long) consumed.count();
    }

    /** Stage outputs committed. */
    public long published() {
        return (long) published.count();
    }

    /** RequestFailed events committed. */
    public long failed() {
        return (long) failed.count();
    }

    /** Transactions committed. */
    public long commits() {
        return transactions.count();
    }

    /** Time spent publishing and committing transactions, in total. */
    public Duration commitTime() {
        return Duration.ofNanos((long) transactions.totalTime(TimeUnit.NANOSECONDS));
    }

    /** Times the engine paused its partitions at capacity. */
    public long pauses() {
        return (long) pauses.count();
    }

    /** Partition revocations and losses seen. */
    public long rebalances() {
        return (long) rebalances.count();
    }

    /** Stage calls started and not yet finished. */
    public int inFlight() {
        return inFlight.get();
    }
}
