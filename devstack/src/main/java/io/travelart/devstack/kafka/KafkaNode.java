package io.travelart.devstack.kafka;

import io.travelart.devstack.process.ParentWatch;

import java.nio.file.Path;

/**
 * The entry point of one node of a {@link KafkaCluster}, in a process of its own so that a test can kill it with
 * SIGKILL: starts the node, says {@value #UP} and its port on standard output, and runs until it is stopped (SIGTERM
 * shuts it down cleanly) or the process that started it exits (its pid in {@code -Dtravelart.parent.pid}).
 *
 * <p>Arguments: data directory, node id, client port, controller port, the quorum ({@code id@host:port,…}), the
 * cluster id, the number of nodes.
 */
public final class KafkaNode {

    static final String UP = "travelart kafka node up on port ";

    private KafkaNode() {
    }

    public static void main(String[] args) throws InterruptedException {
        if (args.length != 7) {
            System.err.println("usage: KafkaNode DATA_DIR NODE_ID PORT CONTROLLER_PORT VOTERS CLUSTER_ID CLUSTER_SIZE");
            System.exit(2);
        }
        ParentWatch.exitWithParent("kafka node " + args[1]);
        EmbeddedKafka.Node node = new EmbeddedKafka.Node(Integer.parseInt(args[1]), args[4], args[5], Integer.parseInt(args[6]));
        EmbeddedKafka kafka = EmbeddedKafka.startNode(Path.of(args[0]), Integer.parseInt(args[2]), Integer.parseInt(args[3]), node);
        Runtime.getRuntime().addShutdownHook(new Thread(kafka::close, "kafka-node-stop"));
        System.out.println(UP + kafka.port());
        Thread.currentThread().join();
    }
}
