package io.travelart.system;

import io.travelart.cli.bench.WorkerProcess;
import io.travelart.devstack.DevStack;
import io.travelart.devstack.kafka.KafkaCluster;
import io.travelart.devstack.openai.OpenAiSimulator.Endpoint;
import io.travelart.devstack.openai.SimulatorSettings;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Three brokers, each its own process (combined broker and controller, KRaft), the topics replicated on all three with
 * {@code min.insync.replicas} 2, and both workers as processes. Mid-run the broker leading the most partitions is killed
 * with SIGKILL and started again, then the one coordinating the image-worker's transactions. Every request must end
 * ready exactly once; no worker dies, so none may be paid twice beyond the calls a worker had in flight when a
 * transaction of its was lost with a broker.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ThreeBrokerIT {

    private static final int IMAGE_IN_FLIGHT = 32;

    private ProcessPipeline<DevStack<KafkaCluster>> pipeline;

    @BeforeAll
    void start() throws Exception {
        ProcessPipeline.requireWorkerJars();
        Path dir = Files.createTempDirectory("travelart-three-brokers");
        DevStack<KafkaCluster> stack = DevStack.on(KafkaCluster.start(dir.resolve("kafka"), 3), dir.resolve("registry.log"),
                Optional.of(SimulatorSettings.defaults().withReusedImages(true).withLatency(Duration.ofMillis(20), Duration.ofSeconds(2))));
        pipeline = ProcessPipeline.on(stack, dir, (short) 3);
    }

    @AfterAll
    void stop() throws InterruptedException {
        if (pipeline != null) {
            pipeline.close();
        }
    }

    @Test
    void killingTheBusiestBrokerAndTheTransactionCoordinatorLosesAndDuplicatesNothing() throws Exception {
        KafkaCluster cluster = pipeline.stack().kafka();
        WorkerProcess prompt = pipeline.worker("prompt-worker", "three", Map.of("TRAVELART_MAX_IN_FLIGHT", "32"));
        WorkerProcess image = pipeline.worker("image-worker", "three",
                Map.of("TRAVELART_MAX_IN_FLIGHT", Integer.toString(IMAGE_IN_FLIGHT)));
        List<String> ids = new ArrayList<>(pipeline.publish(150, "Bergen harbour in the rain"));

        // The first kill: the broker that leads the most partitions, with images being drawn and committed.
        awaitReady(ids, 40);
        int leader = busiestLeader();
        int leaderExit = cluster.kill(leader);
        int readyAtFirstKill = ready(ids);
        awaitReady(ids, readyAtFirstKill + 20); // the stages go on with two brokers
        cluster.restart(leader);

        // The second: the coordinator of the image-worker's transactions, while the second half is being drawn.
        ids.addAll(pipeline.publish(150, "Bergen harbour at night"));
        int coordinator = coordinatorOf("travelart-image-worker-three");
        awaitReady(ids, 190);
        long inFlightAtSecondKill = pipeline.simulator().inFlight(Endpoint.IMAGES);
        int coordinatorExit = cluster.kill(coordinator);
        int readyAtSecondKill = ready(ids);
        cluster.restart(coordinator);

        await().atMost(Duration.ofSeconds(240)).pollInterval(Duration.ofSeconds(1))
                .until(() -> pipeline.readyCounts().keySet().containsAll(ids));
        Answered.await(pipeline.kafka(), "image-worker", pipeline.topics().promptCreated(), Duration.ofSeconds(60));
        ProcessPipeline.Figures figures = pipeline.figures(ids);
        System.out.printf("three brokers: %s; killed node %d (leading the most partitions) at %d ready, node %d (the image-worker's "
                        + "transaction coordinator%s) at %d ready with %d image calls open%n", figures, leader, readyAtFirstKill,
                coordinator, coordinator == leader ? ", the same node again" : "", readyAtSecondKill, inFlightAtSecondKill);

        assertThat(leaderExit).as("SIGKILL exit code").isEqualTo(137);
        assertThat(coordinatorExit).isEqualTo(137);
        assertThat(figures.lost()).isZero();
        assertThat(figures.duplicated()).isZero();
        assertThat(figures.paidTwice()).as("paid twice: at most the calls a worker had in flight").isLessThanOrEqualTo(IMAGE_IN_FLIGHT);
        assertThat(pipeline.failures(ids)).isEmpty();
        assertThat(image.stop()).isZero();
        assertThat(prompt.stop()).isZero();
    }

    private int ready(List<String> ids) {
        return (int) pipeline.readyCounts().keySet().stream().filter(ids::contains).count();
    }

    private void awaitReady(List<String> ids, int count) {
        await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(500)).until(() -> ready(ids) >= count);
    }

    /** The node that leads the most partitions, of the pipeline's topics and Kafka's own (offsets, transactions). */
    private int busiestLeader() throws Exception {
        try (Admin admin = Admin.create(pipeline.kafka().with(Map.of()))) {
            var names = admin.listTopics(new ListTopicsOptions().listInternal(true)).names().get(30, TimeUnit.SECONDS);
            Map<Integer, Integer> led = new TreeMap<>();
            for (TopicDescription topic : admin.describeTopics(names).allTopicNames().get(30, TimeUnit.SECONDS).values()) {
                for (TopicPartitionInfo partition : topic.partitions()) {
                    if (partition.leader() != null) {
                        led.merge(partition.leader().id(), 1, Integer::sum);
                    }
                }
            }
            System.out.println("three brokers: partitions led by node " + led);
            return led.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
        }
    }

    /** The node coordinating this transactional id now. */
    private int coordinatorOf(String transactionalId) throws Exception {
        try (Admin admin = Admin.create(pipeline.kafka().with(Map.of()))) {
            return admin.describeTransactions(List.of(transactionalId)).description(transactionalId).get(30, TimeUnit.SECONDS)
                    .coordinatorId();
        }
    }
}
