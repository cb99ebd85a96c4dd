package io.travelart.system;

import io.travelart.cli.bench.WorkerProcess;
import io.travelart.devstack.DevStack;
import io.travelart.devstack.kafka.EmbeddedKafka;
import io.travelart.core.failure.ErrorCodes;
import io.travelart.devstack.openai.OpenAiSimulator;
import io.travelart.devstack.openai.OpenAiSimulator.Endpoint;
import io.travelart.devstack.openai.SimulatorSettings;
import io.travelart.events.Priorities;
import io.travelart.events.RequestFailed;
import io.travelart.image.store.FileSystemImageStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Crashes and outages with each worker in its own OS process: kill -9, a broker restart, a 429/5xx
 * storm within the retry budget, and an outage beyond it that {@code travelart replay} recovers from.
 * Each test prints its figures (requests, lost, duplicated, paid twice).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FaultToleranceIT {

    private static final SimulatorSettings BASE = SimulatorSettings.defaults().withReusedImages(true);

    private ProcessPipeline<DevStack<EmbeddedKafka>> pipeline;

    @BeforeAll
    void startStack() {
        pipeline = ProcessPipeline.start(BASE);
    }

    @AfterEach
    void stopWorkers() throws InterruptedException {
        if (pipeline != null) {
            pipeline.stopWorkers();
            pipeline.simulator().settings(BASE);
        }
    }

    @AfterAll
    void stopStack() throws InterruptedException {
        if (pipeline != null) {
            pipeline.close();
        }
    }

    private void awaitAllReady(List<String> ids, Duration atMost) {
        await().atMost(atMost).pollInterval(Duration.ofSeconds(1))
                .until(() -> pipeline.readyCounts().keySet().containsAll(ids));
    }

    @Test
    void killingTheImageWorkerLosesNothingAndPaysTwiceAtMostForTheCallsInFlight() throws Exception {
        pipeline.simulator().settings(BASE.withLatency(Duration.ofMillis(20), Duration.ofSeconds(3)));
        WorkerProcess prompt = pipeline.worker("prompt-worker", "kill", Map.of("TRAVELART_MAX_IN_FLIGHT", "32"));
        WorkerProcess image = pipeline.worker("image-worker", "kill", Map.of("TRAVELART_MAX_IN_FLIGHT", "128"));
        List<String> ids = pipeline.publish(300, "Lisbon tram at dusk");

        // Kill in the second wave of calls: some images are stored and committed, at least 100 calls are open.
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100)).until(() ->
                pipeline.readyCounts().keySet().stream().filter(ids::contains).count() >= 64
                        && pipeline.simulator().inFlight(Endpoint.IMAGES) >= 100);
        int killed = image.kill();

        // What the dead worker had started and not yet turned into a stored image: the calls still open at the
        // simulator (it answers and bills them, as OpenAI does when the client is gone), and the calls answered
        // but not stored. Read in this order, a call that finishes in between is counted twice, never missed.
        FileSystemImageStore store = new FileSystemImageStore(pipeline.imageDir());
        Set<String> storedAtKill = new HashSet<>();
        for (String id : ids) {
            if (store.find(id).isPresent()) {
                storedAtKill.add(id);
            }
        }
        long openAtKill = pipeline.simulator().inFlight(Endpoint.IMAGES);
        long answeredNotStored = ids.stream()
                .filter(id -> !storedAtKill.contains(id) && pipeline.simulator().billed(Endpoint.IMAGES, id) > 0).count();
        long inFlightAtKill = openAtKill + answeredNotStored;

        WorkerProcess restarted = pipeline.worker("image-worker", "kill", Map.of("TRAVELART_MAX_IN_FLIGHT", "128"));
        awaitAllReady(ids, Duration.ofSeconds(180));
        ProcessPipeline.Figures figures = pipeline.figures(ids);
        System.out.printf("fault kill -9: %s; %d calls in flight at the kill (%d open, %d answered not stored), "
                        + "%d images stored before it%n", figures, inFlightAtKill, openAtKill, answeredNotStored, storedAtKill.size());

        assertThat(killed).as("SIGKILL exit code").isEqualTo(137);
        assertThat(inFlightAtKill).isGreaterThanOrEqualTo(100);
        assertThat(storedAtKill).hasSizeGreaterThanOrEqualTo(64);
        assertThat(figures.lost()).isZero();
        assertThat(figures.duplicated()).isZero();
        assertThat(figures.paidTwice()).isLessThanOrEqualTo(inFlightAtKill);
        assertThat(storedAtKill).allSatisfy(id -> assertThat(pipeline.simulator().billed(Endpoint.IMAGES, id))
                .as("calls billed for %s, stored before the kill", id).isEqualTo(1));
        assertThat(pipeline.failures(ids)).isEmpty();
        assertThat(restarted.stop()).isZero();
        assertThat(prompt.stop()).isZero();
    }

    @Test
    void aBrokerRestartMidRunLosesNothingAndBadInputsStillFailOnce() throws Exception {
        pipeline.simulator().settings(BASE.withLatency(Duration.ofMillis(50), Duration.ofMillis(300)));
        WorkerProcess prompt = pipeline.worker("prompt-worker", "broker", Map.of());
        WorkerProcess image = pipeline.worker("image-worker", "broker", Map.of());
        List<String> ids = new ArrayList<>();
        List<String> poison = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            ids.addAll(pipeline.publish(20, "Hanoi street food " + i));
            poison.add(pipeline.send("poison-" + i + "-" + Instant.now().toEpochMilli(),
                    ("not avro " + i).getBytes(StandardCharsets.UTF_8)));
        }

        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500))
                .until(() -> pipeline.readyCounts().keySet().stream().filter(ids::contains).count() >= 40);
        long down = System.nanoTime();
        pipeline.stack().kafka().restart();
        long downMillis = (System.nanoTime() - down) / 1_000_000;

        awaitAllReady(ids, Duration.ofSeconds(180));
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1))
                .until(() -> pipeline.failuresByKey(poison).size() == poison.size());
        ProcessPipeline.Figures figures = pipeline.figures(ids);
        Map<String, Integer> poisonFailures = pipeline.failuresByKey(poison);
        System.out.printf("fault broker restart (down %d ms): %s; %d poison pills, %d failure events for them%n",
                downMillis, figures, poison.size(), poisonFailures.values().stream().mapToInt(Integer::intValue).sum());

        assertThat(figures.lost()).isZero();
        assertThat(figures.duplicated()).isZero();
        assertThat(figures.paidTwice()).as("nothing was in flight in a worker that died").isZero();
        assertThat(pipeline.failures(ids)).isEmpty();
        assertThat(poisonFailures).as("one request-failed per poison pill").allSatisfy((key, n) -> assertThat(n).isEqualTo(1));
        assertThat(image.stop()).isZero();
        assertThat(prompt.stop()).isZero();
    }

    @Test
    void aThirtySecondStormOf429And5xxWithinTheRetryBudgetFailsNothing() throws Exception {
        pipeline.simulator().settings(BASE.withLatency(Duration.ofMillis(20), Duration.ofMillis(100)));
        // The budget: up to 2 minutes (the default) and 60 attempts, backing off at most 2 s.
        Map<String, String> budget = Map.of("TRAVELART_RETRY_MAX_ATTEMPTS", "60", "TRAVELART_RETRY_MAX_BACKOFF", "2s",
                "TRAVELART_RETRY_MAX_ELAPSED", "2m");
        WorkerProcess prompt = pipeline.worker("prompt-worker", "storm", budget);
        WorkerProcess image = pipeline.worker("image-worker", "storm", budget);
        long faultsBefore = pipeline.simulator().faultedCalls();

        ScheduledExecutorService storm = Executors.newSingleThreadScheduledExecutor();
        List<String> ids;
        try {
            pipeline.simulator().settings(pipeline.simulator().settings().withFaults(429, 1.0));
            ids = pipeline.publish(60, "Marrakesh souk at noon");
            storm.schedule(() -> pipeline.simulator().settings(pipeline.simulator().settings().withFaults(503, 1.0)), 15, TimeUnit.SECONDS);
            var calm = storm.schedule(() -> {
                Set<String> readyDuringStorm = new HashSet<>(pipeline.readyCounts().keySet());
                pipeline.simulator().settings(pipeline.simulator().settings().withFaults(0, 0));
                readyDuringStorm.retainAll(ids);
                return readyDuringStorm.size();
            }, 30, TimeUnit.SECONDS);

            awaitAllReady(ids, Duration.ofSeconds(150));
            long faults = pipeline.simulator().faultedCalls() - faultsBefore;
            ProcessPipeline.Figures figures = pipeline.figures(ids);
            System.out.printf("fault 30 s storm (429 then 503): %s; %d calls answered with the fault, %d requests failed%n",
                    figures, faults, pipeline.failures(ids).size());

            assertThat(calm.get()).as("image-ready before the storm ended").isZero();
            assertThat(faults).as("every request met the storm").isGreaterThanOrEqualTo(ids.size());
            assertThat(figures.lost()).isZero();
            assertThat(figures.duplicated()).isZero();
            assertThat(figures.paidTwice()).isZero();
            assertThat(pipeline.failures(ids)).isEmpty();
        } finally {
            storm.shutdownNow();
        }
        assertThat(image.stop()).isZero();
        assertThat(prompt.stop()).isZero();
    }

    @Test
    void anOutageLongerThanTheBudgetFailsRetriablyAndReplayBringsEveryRequestToImageReady() throws Exception {
        pipeline.simulator().settings(BASE.withLatency(Duration.ofMillis(300), Duration.ofMillis(500)));
        Map<String, String> budget = Map.of("TRAVELART_RETRY_MAX_ELAPSED", "2s", "TRAVELART_RETRY_MAX_BACKOFF", "500ms");
        Map<String, String> slow = new java.util.HashMap<>(budget);
        slow.put("TRAVELART_MAX_IN_FLIGHT", "4");
        WorkerProcess prompt = pipeline.worker("prompt-worker", "outage", slow);
        WorkerProcess image = pipeline.worker("image-worker", "outage", budget);
        Instant start = Instant.now();
        List<String> ids = pipeline.publish(40, "Reykjavik harbour in snow");

        // Let some prompts through first, so that both stages have requests in the outage.
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> pipeline.promptCreatedIds().stream().filter(ids::contains).count() >= 10);
        pipeline.simulator().settings(pipeline.simulator().settings().withFaults(503, 1.0));
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1)).until(() ->
                pipeline.readyCounts().keySet().stream().filter(ids::contains).count() + pipeline.failures(ids).size() == ids.size());
        List<RequestFailed> failed = pipeline.failures(ids);
        Map<String, Long> byStage = failed.stream().collect(Collectors.groupingBy(RequestFailed::getStage, TreeMap::new, Collectors.counting()));
        assertThat(failed).isNotEmpty().allSatisfy(f -> {
            assertThat(f.getRetriable()).isTrue();
            assertThat(f.getErrorCode()).isEqualTo(ErrorCodes.UPSTREAM_5XX);
        });

        // The operator stops the workers, the provider recovers, and the failures are replayed before the workers return.
        assertThat(image.stop()).isZero();
        assertThat(prompt.stop()).isZero();
        pipeline.simulator().settings(pipeline.simulator().settings().withFaults(0, 0));
        ProcessPipeline.CliRun replay = pipeline.cli("replay", "--since", start.toString());
        assertThat(replay.exitCode()).as(replay.err()).isZero();
        assertThat(replay.out()).contains("replayed " + failed.size() + " of " + failed.size() + " failed request(s)");
        // Replaying again before the workers answered sends nothing: a second copy would become a second final event.
        ProcessPipeline.CliRun twice = pipeline.cli("replay", "--since", start.toString());
        assertThat(twice.out()).contains("replayed 0 of " + failed.size() + " failed request(s): 0 already ready, " + failed.size() + " pending");

        prompt = pipeline.worker("prompt-worker", "outage", slow);
        image = pipeline.worker("image-worker", "outage", budget);
        awaitAllReady(ids, Duration.ofSeconds(120));
        ProcessPipeline.Figures figures = pipeline.figures(ids);
        System.out.printf("fault outage beyond the budget: %d of %d requests failed retriably %s; after replay: %s%n",
                failed.size(), ids.size(), byStage, figures);
        assertThat(figures.lost()).isZero();
        assertThat(figures.duplicated()).isZero();
        assertThat(figures.paidTwice()).isZero();
        assertThat(ids).as("one paid prompt each: replaying an image failure does not write the prompt again")
                .allSatisfy(id -> assertThat(pipeline.simulator().billed(Endpoint.CHAT, id)).isEqualTo(1));

        // Replaying again does no paid work: every one of them has reached image-ready.
        long calls = pipeline.simulator().totalCalls(Endpoint.CHAT) + pipeline.simulator().totalCalls(Endpoint.IMAGES);
        ProcessPipeline.CliRun again = pipeline.cli("replay", "--since", start.toString());
        assertThat(again.out()).contains("replayed 0 of " + failed.size() + " failed request(s): " + failed.size() + " already ready");
        assertThat(pipeline.simulator().totalCalls(Endpoint.CHAT) + pipeline.simulator().totalCalls(Endpoint.IMAGES)).isEqualTo(calls);
        assertThat(image.stop()).isZero();
        assertThat(prompt.stop()).isZero();
    }

    @Test
    void killingTheImageWorkerWithItsBatchesOpenPaysForNoImageTwice() throws Exception {
        OpenAiSimulator simulator = pipeline.simulator();
        // Long enough to kill the worker after every request is in a batch and before any batch ends.
        simulator.batchDuration(Duration.ofSeconds(8));
        Map<String, String> lane = Map.of("TRAVELART_BATCH_MAX_REQUESTS", "50", "TRAVELART_BATCH_MAX_AGE", "1s",
                "TRAVELART_BATCH_POLL_INTERVAL", "300ms");
        try {
            WorkerProcess prompt = pipeline.worker("prompt-worker", "batch-kill", Map.of());
            WorkerProcess image = pipeline.worker("image-worker", "batch-kill", lane);
            // The lane holds every pending partition (members of earlier runs may linger until their session ends).
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200)).until(() ->
                    pipeline.assignedPartitions("travelart-image-worker-batch").getOrDefault("batch-kill-batch", 0)
                            == ProcessPipeline.PARTITIONS);
            int batchesBefore = simulator.batchesCreated();
            List<String> ids = pipeline.publish(200, "Kyoto in autumn rain", Priorities.BATCH);

            // Every request is in a submitted batch, and none of the batches has ended: kill.
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() ->
                    ids.stream().allMatch(simulator::inSubmittedBatch));
            int submitted = simulator.batchesCreated() - batchesBefore;
            long readyAtKill = ids.stream().filter(pipeline.readyCounts()::containsKey).count();
            int killed = image.kill();

            WorkerProcess restarted = pipeline.worker("image-worker", "batch-kill", lane);
            awaitAllReady(ids, Duration.ofSeconds(120));
            long paidTwice = ids.stream().filter(id -> simulator.billedInBatch(Endpoint.IMAGES, id) > 1).count();
            long paidInteractively = ids.stream().filter(id -> simulator.billed(Endpoint.IMAGES, id) > 0).count();
            ProcessPipeline.Figures figures = pipeline.figures(ids);
            int batchesAfter = simulator.batchesCreated() - batchesBefore;
            System.out.printf("fault kill -9 with batches open: %d requests in %d batches, %d ready at the kill; after the "
                            + "restart: %d image-ready, %d lost, %d duplicated, %d paid twice, %d batches in all%n",
                    ids.size(), submitted, readyAtKill, figures.ready(), figures.lost(), figures.duplicated(), paidTwice, batchesAfter);

            assertThat(killed).isEqualTo(137);
            assertThat(readyAtKill).isZero();
            assertThat(submitted).isGreaterThanOrEqualTo(4);
            assertThat(figures.lost()).isZero();
            assertThat(figures.duplicated()).isZero();
            assertThat(paidTwice).isZero();
            assertThat(paidInteractively).isZero();
            assertThat(batchesAfter).as("the restarted lane waited for the open batches instead of submitting again").isEqualTo(submitted);
            assertThat(pipeline.failures(ids)).isEmpty();
            assertThat(restarted.stop()).isZero();
            assertThat(prompt.stop()).isZero();
        } finally {
            simulator.batchDuration(Duration.ofSeconds(2));
        }
    }
}
