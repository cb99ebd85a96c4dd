package io.travelart.core.worker;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The threads a stage makes its blocking API calls on: one per call in flight. Its own pool, since on
 * 2 cores the common ForkJoin pool has parallelism 1.
 */
public final class CallPool {

    private CallPool() {
    }

    public static ExecutorService create(String name, int size) {
        return Executors.newFixedThreadPool(size, r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }
}
