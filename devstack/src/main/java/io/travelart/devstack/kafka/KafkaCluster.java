package io.travelart.devstack.kafka;

import io.travelart.devstack.process.ChildJvm;
import io.travelart.devstack.process.Ports;
import org.apache.kafka.common.Uuid;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * A Kafka cluster of several nodes on this machine, each a combined broker and controller in a JVM of its own
 * ({@link KafkaNode}, from this JVM's class path), listening on 127.0.0.1: what a fault test needs to kill one broker
 * with SIGKILL while the others go on, and to start it again on its data. Internal topics are replicated on every node
 * with {@code min.insync.replicas} 2 (from three nodes on).
 */
public final class KafkaCluster implements KafkaServers {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);

    private final Path dir;
    private final EmbeddedKafka.Node[] nodes;
    private final int[] ports;
    private final int[] controllerPorts;
    private final Map<Integer, ChildJvm> running = new TreeMap<>();

    private KafkaCluster(Path dir, int size) {
        this.dir = dir;
        int[] free = Ports.free(2 * size);
        this.ports = IntStream.range(0, size).map(i -> free[2 * i]).toArray();
        this.controllerPorts = IntStream.range(0, size).map(i -> free[2 * i + 1]).toArray();
        String voters = IntStream.range(0, size).mapToObj(i -> (i + 1) + "@127.0.0.1:" + controllerPorts[i])
                .collect(Collectors.joining(","));
        String clusterId = Uuid.randomUuid().toString();
        this.nodes = IntStream.range(0, size).mapToObj(i -> new EmbeddedKafka.Node(i + 1, voters, clusterId, size))
                .toArray(EmbeddedKafka.Node[]::new);
    }

    /** Starts {@code size} nodes at once (a node is up only once a majority is), with their data and logs under {@code dir}. */
    public static KafkaCluster start(Path dir, int size) {
        KafkaCluster cluster = new KafkaCluster(dir, size);
        // A thread each: a node waits for a majority of the quorum before it says it is up.
        try (ExecutorService starters = Executors.newVirtualThreadPerTaskExecutor()) {
            List<CompletableFuture<Void>> starting = new ArrayList<>();
            for (EmbeddedKafka.Node node : cluster.nodes) {
                starting.add(CompletableFuture.runAsync(() -> cluster.startNode(node.id(), false), starters));
            }
            starting.forEach(CompletableFuture::join);
            return cluster;
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    private void startNode(int id, boolean again) {
        EmbeddedKafka.Node node = nodes[id - 1];
        List<String> arguments = List.of("-Xmx512m", "-XX:+UseSerialGC",
                "--sun-misc-unsafe-memory-access=allow", "-cp", System.getProperty("java.class.path"), KafkaNode.class.getName(),
                dir.resolve("node-" + id).toAbsolutePath().toString(), Integer.toString(id), Integer.toString(ports[id - 1]),
                Integer.toString(controllerPorts[id - 1]), node.voters(), node.clusterId(), Integer.toString(nodes.length));
        ChildJvm.Started<String> started = ChildJvm.start("kafka node " + id, arguments, dir.resolve("node-" + id + ".log"), again,
                line -> line.startsWith(KafkaNode.UP) ? Optional.of(line) : Optional.empty(), START_TIMEOUT);
        synchronized (running) {
            running.put(id, started.child());
        }
    }

    @Override
    public String bootstrapServers() {
        return IntStream.of(ports).mapToObj(p -> "127.0.0.1:" + p).collect(Collectors.joining(","));
    }

    public int size() {
        return nodes.length;
    }

    /** The node that listens on this port: how a client's view of a broker ({@code host:port}) maps to a node here. */
    public int nodeOnPort(int port) {
        for (int i = 0; i < ports.length; i++) {
            if (ports[i] == port) {
                return i + 1;
            }
        }
        throw new IllegalArgumentException("no node of this cluster listens on " + port);
    }

    /** Kills the node's process with SIGKILL: no shutdown, no flush; returns its exit code (137). */
    public int kill(int id) {
        ChildJvm child;
        synchronized (running) {
            child = running.remove(id);
        }
        if (child == null) {
            throw new IllegalStateException("kafka node " + id + " is not running");
        }
        return child.kill();
    }

    /** Starts a node again on its data and ports, after {@link #kill}; returns once it is up. */
    public void restart(int id) {
        startNode(id, true);
    }

    /** Kills every node: the cluster's data is a test's, and a clean shutdown of all of them at once only waits on itself. */
    @Override
    public void close() {
        List<ChildJvm> children;
        synchronized (running) {
            children = new ArrayList<>(running.values());
            running.clear();
        }
        children.forEach(ChildJvm::kill);
    }
}
