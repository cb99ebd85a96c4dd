package io.travelart.core.engine;

import io.travelart.core.failure.Failure;
import io.travelart.core.time.Time;
import io.travelart.core.failure.ErrorCodes;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

/**
 * Whether a stage may start calls. A failure that belongs to the worker, not to the request (the key
 * refused, the model gone, the account out of credit: {@link ErrorCodes#belongsToWorker}) would fail
 * every waiting request alike, so instead it pauses the stage: the engine starts no more records and
 * keeps those it holds, readiness reports the reason, and the gate probes, backing off from
 * {@code firstProbe} to {@code maxProbe}, until the problem is gone. A probe is a free call where one
 * can tell (the models endpoint, for a key or a model), else one real record from the backlog.
 *
 * <p>Calls report to it ({@link #watch}); the engine asks it before starting a record ({@link #admit}),
 * and whether a failed outcome is to be held rather than published ({@link #holds}).
 */
public final class StageGate {

    private static final Logger log = LoggerFactory.getLogger(StageGate.class);

    public static final String PAUSED = "travelart.stage.paused";

    /** What a free probe found. */
    public enum Verdict { CLEARED, STILL_FAILING, CANNOT_TELL }

    /** A check that costs nothing, such as asking the provider for the worker's models. */
    @FunctionalInterface
    public interface Probe {
        /** Never throws: a probe that cannot reach the provider says {@link Verdict#STILL_FAILING}. */
        Verdict check(Failure cause);

        Probe NONE = cause -> Verdict.CANNOT_TELL;
    }

    public record Config(Duration firstProbe, Duration maxProbe) {
        public static final Config DEFAULT = new Config(Duration.ofSeconds(5), Duration.ofMinutes(5));
    }

    private final String stage;
    private final Config config;
    private final Clock clock;
    private final Probe probe;
    private final Executor probes;
    private final MeterRegistry registry;
    private final Map<String, Boolean> gauges = new ConcurrentHashMap<>();

    /** Why the stage is paused; null while it is open. */
    private Failure cause;
    private long pausedAt;
    private long nextProbeAt;
    private Duration backoff;
    /** A probe is out (free or a backlog record): no other starts until it answers. */
    private boolean probing;
    /** The free probe said it cannot tell this cause: probe with backlog records. */
    private boolean backlogProbes;

    public StageGate(String stage, Config config, Clock clock, Probe probe, Executor probes, MeterRegistry registry) {
        this.stage = stage;
        this.config = config;
        this.clock = clock;
        this.probe = probe;
        this.probes = probes;
        this.registry = registry;
    }

    /** A gate with the default backoff and no free probe: a paused stage probes with records of its backlog. */
    public static StageGate withoutFreeProbe(String stage, MeterRegistry registry) {
        return new StageGate(stage, Config.DEFAULT, Time.SYSTEM, Probe.NONE, Runnable::run, registry);
    }

    /** Runs a call to the provider and reports how it went: a success opens a paused gate, a worker's failure pauses it. */
    public <T> T watch(java.util.function.Function<Throwable, Failure> classify, Callable<T> call) throws Exception {
        T result;
        try {
            result = call.call();
        } catch (Exception e) {
            failed(classify.apply(e));
            throw e;
        }
        succeeded();
        return result;
    }

    /** Whether a failed outcome is the worker's, to be kept and worked on again once the stage resumes. */
    public boolean holds(Failure failure) {
        return ErrorCodes.belongsToWorker(failure.code());
    }

    /**
     * Whether the engine may start a record now. While paused: no, except that when a probe is due and no
     * free probe can tell, one record is let through as the probe ({@code true}; the engine then calls
     * {@link #probeDone} when that record is finished or held).
     */
    public synchronized boolean admit() {
        if (cause == null) {
            return true;
        }
        long now = clock.millis();
        if (probing || now < nextProbeAt) {
            return false;
        }
        probing = true;
        if (!backlogProbes) {
            Failure checking = cause;
            probes.execute(() -> freeProbeAnswered(checking, probe.check(checking)));
            return false;
        }
        log.info("{} stage paused ({}): sending one request as a probe", stage, cause.code());
        return true;
    }

    /** A record admitted as the probe is finished (or held again): if its call said nothing, the next due record probes. */
    public synchronized void probeDone() {
        if (cause != null && probing && backlogProbes) {
            probing = false;
        }
    }

    public synchronized boolean isPaused() {
        return cause != null;
    }

    /**
     * Why the stage is paused, for the readiness probe; empty while it runs. The code only: the provider's own
     * message (which may quote part of a key) is in the log, not in an answer to whoever asks.
     */
    public synchronized Optional<String> pausedReason() {
        if (cause == null) {
            return Optional.empty();
        }
        long waitMillis = Math.max(0, nextProbeAt - clock.millis());
        return Optional.of(stage + " stage paused since " + java.time.Instant.ofEpochMilli(pausedAt) + ": " + cause.code()
                + " (the log says why)" + (probing ? "; probing now" : "; next probe in " + Math.max(1, (waitMillis + 999) / 1000) + " s"));
    }

    private synchronized void failed(Failure failure) {
        if (!ErrorCodes.belongsToWorker(failure.code())) {
            return;
        }
        long now = clock.millis();
        if (cause == null) {
            cause = failure;
            pausedAt = now;
            backoff = config.firstProbe();
            nextProbeAt = now + backoff.toMillis();
            probing = false;
            backlogProbes = false;
            gauge(failure.code());
            log.warn("{} stage paused: {} {}. No request fails for it: records wait in Kafka, /health/ready answers 503, "
                            + "and the stage resumes by itself once a probe succeeds (first in {} s, then backing off to {} s)",
                    stage, failure.code(), failure.message(), backoff.toSeconds(), config.maxProbe().toSeconds());
            return;
        }
        if (probing) {
            stillFailing(failure, now);
        }
    }

    private synchronized void succeeded() {
        if (cause != null) {
            open("a call went through");
        }
    }

    private synchronized void freeProbeAnswered(Failure checked, Verdict verdict) {
        if (cause != checked) {
            return; // opened (or paused anew) meanwhile
        }
        switch (verdict) {
            case CLEARED -> open("the provider serves the worker's models to its key again");
            case STILL_FAILING -> stillFailing(cause, clock.millis());
            case CANNOT_TELL -> {
                backlogProbes = true;
                probing = false;
                nextProbeAt = clock.millis();
            }
        }
    }

    private void stillFailing(Failure failure, long now) {
        cause = failure;
        probing = false;
        backoff = backoff.multipliedBy(2).compareTo(config.maxProbe()) > 0 ? config.maxProbe() : backoff.multipliedBy(2);
        nextProbeAt = now + backoff.toMillis();
        log.info("{} stage still paused: {} {}; next probe in {} s", stage, failure.code(), failure.message(), backoff.toSeconds());
    }

    private void open(String why) {
        log.info("{} stage resumed after {} s paused for {}: {}", stage, (clock.millis() - pausedAt) / 1000, cause.code(), why);
        cause = null;
        probing = false;
    }

    private void gauge(String reason) {
        gauges.computeIfAbsent(reason, r -> {
            Gauge.builder(PAUSED, this, gate -> gate.pausedFor(r))
                    .description("1 while the stage is paused for this reason (a failure of the worker, not of a request)")
                    .tags("stage", stage, "reason", r)
                    .register(registry);
            return true;
        });
    }

    private synchronized double pausedFor(String reason) {
        return cause != null && cause.code().equals(reason) ? 1 : 0;
    }
}
