package io.travelart.core.worker;

import org.slf4j.MDC;

import java.util.List;
import java.util.Map;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Where a stage makes its blocking API calls: a virtual thread of its own for each call, so that what bounds the calls
 * in flight is the stage's {@code TRAVELART_MAX_IN_FLIGHT} alone, not a pool of platform threads (a megabyte of stack
 * each). Blocking in OkHttp, which synchronizes, no longer pins the carrier since Java 24 (JEP 491). A call runs with the
 * logging context of the thread that started it, so the lines it logs name its request (logback's MDC is a thread
 * local, which a virtual thread has like any other).
 */
public final class CallPool {

    private CallPool() {
    }

    /** @param name the prefix of the calls' thread names ({@code image-call-17}) */
    public static ExecutorService create(String name) {
        return new WithContext(Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name(name + "-", 0).factory()));
    }

    /** Hands each task the submitter's MDC; the rest is the wrapped executor's. */
    private static final class WithContext extends AbstractExecutorService {
        private final ExecutorService perCall;

        WithContext(ExecutorService perCall) {
            this.perCall = perCall;
        }

        @Override
        public void execute(Runnable task) {
            Map<String, String> context = MDC.getCopyOfContextMap();
            perCall.execute(() -> {
                if (context != null) {
                    MDC.setContextMap(context);
                }
                task.run();
            });
        }

        @Override
        public void shutdown() {
            perCall.shutdown();
        }

        @Override
        public List<Runnable> shutdownNow() {
            return perCall.shutdownNow();
        }

        @Override
        public boolean isShutdown() {
            return perCall.isShutdown();
        }

        @Override
        public boolean isTerminated() {
            return perCall.isTerminated();
        }

        @Override
        public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
            return perCall.awaitTermination(timeout, unit);
        }
    }
}
