package io.travelart.cli;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Keeps a command running until Ctrl-C (or SIGTERM), then lets it close what it opened before the JVM
 * exits. Open it first in a try-with-resources, so that it closes last: the shutdown hook releases
 * {@link #await} and waits (up to 30 s) for that close.
 */
final class UntilStopped implements AutoCloseable {

    private final CountDownLatch stop = new CountDownLatch(1);
    private final CountDownLatch closed = new CountDownLatch(1);

    private UntilStopped() {
    }

    static UntilStopped install() {
        UntilStopped until = new UntilStopped();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            until.stop.countDown();
            try {
                until.closed.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "until-stopped"));
        return until;
    }

    /** Returns when the JVM is asked to stop. */
    void await() throws InterruptedException {
        stop.await();
    }

    @Override
    public void close() {
        closed.countDown();
    }
}
