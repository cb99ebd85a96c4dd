package io.travelart.core.worker;

import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Calls on virtual threads of their own: as many at once as the stage starts, each with its request's logging context. */
class CallPoolTest {

    @Test
    void tenThousandBlockingCallsAreInFlightAtOnceEachOnAVirtualThread() throws Exception {
        ExecutorService calls = CallPool.create("test-call");
        int n = 10_000;
        CountDownLatch started = new CountDownLatch(n);
        CountDownLatch release = new CountDownLatch(1);
        List<CompletableFuture<Boolean>> virtual = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            virtual.add(CompletableFuture.supplyAsync(() -> {
                started.countDown();
                try {
                    release.await(); // blocks, as a call waiting for its answer does
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return Thread.currentThread().isVirtual();
            }, calls));
        }
        assertThat(started.await(30, TimeUnit.SECONDS)).as("all %d calls blocked at the same time", n).isTrue();
        release.countDown();
        assertThat(virtual).allSatisfy(call -> assertThat(call.get(30, TimeUnit.SECONDS)).isTrue());
        calls.shutdown();
        assertThat(calls.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void aCallLogsWithTheContextOfTheThreadThatStartedIt() throws Exception {
        ExecutorService calls = CallPool.create("test-call");
        MDC.put("requestId", "req-42");
        try {
            CompletableFuture<String> seen = CompletableFuture.supplyAsync(() -> MDC.get("requestId"), calls);
            assertThat(seen.get(10, TimeUnit.SECONDS)).isEqualTo("req-42");
        } finally {
            MDC.remove("requestId");
        }
        CompletableFuture<String> none = CompletableFuture.supplyAsync(() -> MDC.get("requestId"), calls);
        assertThat(none.get(10, TimeUnit.SECONDS)).as("nothing left over from an earlier call").isNull();
        calls.shutdown();
    }
}
