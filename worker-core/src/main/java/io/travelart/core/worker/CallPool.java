package io.travelart.core.worker;

import org.slf4j.MDC;

import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The threads a stage makes its blocking API calls on: one per call in flight. Its own pool, since on
 * 2 cores the common ForkJoin pool has parallelism 1. A task runs with the logging context of the
 * thread that submitted it, so the lines a call logs name its request.
 */
public final class CallPool {

    private CallPool() {
    }

    public static ExecutorService create(String name, int size) {
        return new ThreadPoolExecutor(size, size, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        }) {
            @Override
            public void execute(Runnable task) {
                Map<String, String> context = MDC.getCopyOfContextMap();
                super.execute(() -> {
                    Map<String, String> before = MDC.getCopyOfContextMap();
                    if (context == null) {
                        MDC.clear();
                    } else {
                        MDC.setContextMap(context);
                    }
                    try {
                        task.run();
                    } finally {
                        if (before == null) {
                            MDC.clear();
                        } else {
                            MDC.setContextMap(before);
                        }
                    }
                });
            }
        };
    }
}
