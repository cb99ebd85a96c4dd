package io.travelart.image;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class ImageMemoryTest {

    @Test
    void aCallWaitsForRoomBeforeItsAnswerIsReadAndARetryOfTheSameCallTakesNoSecondPermit() throws Exception {
        ImageMemory memory = new ImageMemory(2);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        memory.bind(registry);
        ExecutorService calls = Executors.newFixedThreadPool(3);
        try {
            CountDownLatch holding = new CountDownLatch(2);
            CountDownLatch release = new CountDownLatch(1);
            java.util.List<Future<?>> holders = new java.util.ArrayList<>();
            for (int i = 0; i < 2; i++) {
                holders.add(calls.submit(() -> {
                    memory.enter();
                    memory.enter(); // a retry's answer on the same call
                    holding.countDown();
                    release.await();
                    memory.leave();
                    return null;
                }));
            }
            assertThat(holding.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(registry.get("travelart.images.in.memory").gauge().value()).isEqualTo(2.0);

            Thread[] thirdThread = new Thread[1];
            CountDownLatch thirdEntered = new CountDownLatch(1);
            Future<?> third = calls.submit(() -> {
                thirdThread[0] = Thread.currentThread();
                memory.enter();
                thirdEntered.countDown();
                memory.leave();
                return null;
            });
            // The third answer is not read while two are held: its thread parks in enter().
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() ->
                    thirdThread[0] != null && thirdThread[0].getState() == Thread.State.WAITING);
            assertThat(thirdEntered.getCount()).isEqualTo(1);
            assertThat(third.isDone()).isFalse();

            release.countDown();
            third.get(10, TimeUnit.SECONDS);
            for (Future<?> holder : holders) {
                holder.get(10, TimeUnit.SECONDS);
            }
            assertThat(registry.get("travelart.images.in.memory").gauge().value()).isZero();
        } finally {
            calls.shutdownNow();
        }
    }

    @Test
    void leavingWithoutEnteringFreesNothing() {
        ImageMemory memory = new ImageMemory(1);
        memory.leave();
        memory.enter();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        memory.bind(registry);
        assertThat(registry.get("travelart.images.in.memory").gauge().value()).isEqualTo(1.0);
        memory.leave();
        assertThat(registry.get("travelart.images.in.memory").gauge().value()).isZero();
    }
}
