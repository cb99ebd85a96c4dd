package io.travelart.core.engine;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/** Counters of a running engine, safe to read from any thread; for tests, the bench and metrics. */
public final class EngineStats {
    final LongAdder polls = new LongAdder();
    final LongAdder consumed = new LongAdder();
    final LongAdder published = new LongAdder();
    final LongAdder failed = new LongAdder();
    final LongAdder commits = new LongAdder();
    final LongAdder commitNanos = new LongAdder();
    final LongAdder pauses = new LongAdder();
    final LongAdder rebalances = new LongAdder();
    final AtomicInteger inFlight = new AtomicInteger();

    /** Polls made, including those that returned nothing. */
    public long polls() {
        return polls.sum();
    }

    public long consumed() {
        return consumed.sum();
    }

    /** Stage outputs committed. */
    public long published() {
        return published.sum();
    }

    /** RequestFailed events committed. */
    public long failed() {
        return failed.sum();
    }

    /** Transactions committed. */
    public long commits() {
        return commits.sum();
    }

    /** Time spent publishing and committing transactions, in total. */
    public java.time.Duration commitTime() {
        return java.time.Duration.ofNanos(commitNanos.sum());
    }

    /** Times the engine paused its partitions at capacity. */
    public long pauses() {
        return pauses.sum();
    }

    /** Partition revocations and losses seen. */
    public long rebalances() {
        return rebalances.sum();
    }

    /** Stage calls started and not yet finished. */
    public int inFlight() {
        return inFlight.get();
    }
}
