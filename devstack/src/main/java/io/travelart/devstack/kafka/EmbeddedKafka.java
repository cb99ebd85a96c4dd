package io.travelart.devstack.kafka;

import io.travelart.devstack.process.Ports;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * A real Kafka broker in this JVM: one combined broker/controller KRaft node, listening on
 * 127.0.0.1 only. Kafka's own KafkaClusterTestKit binds every interface, so we start
 * {@link KafkaRaftServer} ourselves after formatting the storage like {@code kafka-storage format}.
 * Started again on the same data directory and port it keeps its topics and offsets.
 *
 * <p>Secured ({@link Secured}), it is what a managed cluster is to its clients: a {@code SASL_SSL} listener (TLS with
 * the given key store; SCRAM-SHA-512 users made when the storage is formatted, and PLAIN users), an {@code SSL}
 * listener that requires a client certificate (mTLS: the certificate's subject is the principal), and Kafka's standard
 * authorizer, which refuses whatever no ACL allows; only the super user (the broker's own) may do anything.
 */
public final class EmbeddedKafka implements KafkaServers {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedKafka.class);

    /**
     * A broker with TLS, SASL and ACLs.
     *
     * @param keyStore      the broker's key store (PKCS12), its certificate issued for 127.0.0.1
     * @param trustStore    what the broker trusts as a client of itself (transaction markers go to partition leaders)
     * @param storePassword the stores' password
     * @param scramUsers    SCRAM-SHA-512 users and their passwords; {@code superUser} among them
     * @param plainUsers    PLAIN users and their passwords
     * @param superUser     the broker's own user, which ACLs do not limit: it makes the ACLs of the others
     * @param oauthJwks     where the keys of OAUTHBEARER tokens are ({@link #OAUTH_AUDIENCE} their audience, {@code sub}
     *                      the principal); empty: no OAUTHBEARER
     * @param iamKeys       AWS access keys that may log in with Amazon MSK's IAM mechanism ({@link MskIamSaslServer})
     */
    public record Secured(Path keyStore, Path trustStore, String storePassword, Map<String, String> scramUsers, Map<String, String> plainUsers,
                          String superUser, Optional<String> oauthJwks, List<IamKey> iamKeys) {
    }

    /** An AWS access key the broker takes for an IAM login, and the principal it logs in as. */
    public record IamKey(String accessKeyId, String secretAccessKey, String principal) {
    }

    /**
     * This broker's place in a cluster: its node id, the controller quorum ({@code id@host:port,…}), the cluster's id
     * (the same on every node), and how many nodes there are, which sets the replication of the internal topics and the
     * default {@code min.insync.replicas} (2 from three nodes on).
     */
    public record Node(int id, String voters, String clusterId, int clusterSize) {
    }

    /** The audience an OAUTHBEARER token must be for. */
    public static final String OAUTH_AUDIENCE = "travelart-kafka";

    private final Path dataDir;
    private final int port;
    private final int controllerPort;
    /** The mutual-TLS listener's port, when secured. */
    private final int tlsPort;
    private final Optional<Secured> secured;
    private final Node node;
    private KafkaRaftServer server;

    private EmbeddedKafka(Path dataDir, int port, int controllerPort, int tlsPort, Optional<Secured> secured, Node node) {
        this.dataDir = dataDir;
        this.port = port;
        this.tlsPort = tlsPort;
        this.controllerPort = controllerPort;
        this.secured = secured;
        this.node = node;
    }

    private static Node alone(int controllerPort) {
        return new Node(1, "1@127.0.0.1:" + controllerPort, Uuid.randomUuid().toString(), 1);
    }

    /** Starts a broker on a free port. */
    public static EmbeddedKafka start(Path dataDir) {
        int[] ports = Ports.free(2);
        return start(dataDir, ports[0], ports[1]);
    }

    public static EmbeddedKafka start(Path dataDir, int port, int controllerPort) {
        EmbeddedKafka kafka = new EmbeddedKafka(dataDir, port, controllerPort, -1, Optional.empty(), alone(controllerPort));
        kafka.startServer();
        return kafka;
    }

    /**
     * One node of a cluster ({@link KafkaCluster} runs each in its own process). It returns once the node is up, which
     * takes a quorum: a majority of the cluster's nodes starting at the same time.
     */
    public static EmbeddedKafka startNode(Path dataDir, int port, int controllerPort, Node node) {
        EmbeddedKafka kafka = new EmbeddedKafka(dataDir, port, controllerPort, -1, Optional.empty(), node);
        kafka.startServer();
        return kafka;
    }

    /** Starts a secured broker on a free port: clients need TLS that trusts its certificate, and a user with ACLs. */
    public static EmbeddedKafka startSecured(Path dataDir, Secured secured) {
        int[] ports = Ports.free(3);
        EmbeddedKafka kafka = new EmbeddedKafka(dataDir, ports[0], ports[1], ports[2], Optional.of(secured), alone(ports[1]));
        kafka.startServer();
        return kafka;
    }

    @Override
    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    /** The listener that takes a client certificate as the login (mTLS); only on a secured broker. */
    public String mutualTlsBootstrapServers() {
        if (secured.isEmpty()) {
            throw new IllegalStateException("only a secured broker has a mutual-TLS listener");
        }
        return "127.0.0.1:" + tlsPort;
    }

    public int port() {
        return port;
    }

    private void startServer() {
        long started = System.nanoTime();
        try {
            Files.createDirectories(dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Properties props = new Properties();
        props.put("process.roles", "broker,controller");
        props.put("node.id", Integer.toString(node.id()));
        String listener = secured.isPresent() ? "SASL_SSL" : "PLAINTEXT";
        String mtls = secured.isPresent() ? ",SSL://127.0.0.1:" + tlsPort : "";
        props.put("listeners", listener + "://127.0.0.1:" + port + mtls + ",CONTROLLER://127.0.0.1:" + controllerPort);
        props.put("advertised.listeners", listener + "://127.0.0.1:" + port + mtls);
        props.put("controller.listener.names", "CONTROLLER");
        props.put("inter.broker.listener.name", listener);
        props.put("listener.security.protocol.map", listener + ":" + listener + (mtls.isEmpty() ? "" : ",SSL:SSL") + ",CONTROLLER:PLAINTEXT");
        secured.ifPresent(s -> props.putAll(security(s)));
        props.put("controller.quorum.voters", node.voters());
        props.put("log.dirs", dataDir.toAbsolutePath().toString());
        props.put("auto.create.topics.enable", "false");
        props.put("num.partitions", "1");
        String replicas = Integer.toString(node.clusterSize());
        String minInSync = Integer.toString(Math.min(2, node.clusterSize()));
        props.put("default.replication.factor", replicas);
        props.put("min.insync.replicas", minInSync);
        props.put("offsets.topic.replication.factor", replicas);
        props.put("offsets.topic.num.partitions", "5");
        props.put("transaction.state.log.replication.factor", replicas);
        props.put("transaction.state.log.min.isr", minInSync);
        props.put("transaction.state.log.num.partitions", "5");
        props.put("share.coordinator.state.topic.replication.factor", replicas);
        props.put("share.coordinator.state.topic.min.isr", minInSync);
        props.put("group.initial.rebalance.delay.ms", "0");
        props.put("log.flush.interval.messages", "1000000");
        KafkaConfig config = KafkaConfig.fromProps(props, false);
        if (!Files.exists(dataDir.resolve("meta.properties"))) {
            format();
        }
        server = new KafkaRaftServer(config, Time.SYSTEM);
        server.startup();
        log.info("Kafka broker on {} (data {}) started in {} ms", bootstrapServers(), dataDir,
                (System.nanoTime() - started) / 1_000_000);
    }

    /** The secured listener's settings: TLS, SASL (SCRAM-SHA-512 between brokers, and PLAIN), the standard authorizer. */
    private static Map<String, String> security(Secured s) {
        Map<String, String> props = new HashMap<>();
        props.put("ssl.keystore.type", "PKCS12");
        props.put("ssl.keystore.location", s.keyStore().toAbsolutePath().toString());
        props.put("ssl.keystore.password", s.storePassword());
        props.put("ssl.key.password", s.storePassword());
        props.put("ssl.truststore.type", "PKCS12");
        props.put("ssl.truststore.location", s.trustStore().toAbsolutePath().toString());
        props.put("ssl.truststore.password", s.storePassword());
        props.put("sasl.enabled.mechanisms", "SCRAM-SHA-512,PLAIN" + (s.oauthJwks().isPresent() ? ",OAUTHBEARER" : "")
                + (s.iamKeys().isEmpty() ? "" : "," + MskIamSaslServer.MECHANISM));
        if (!s.iamKeys().isEmpty()) {
            StringBuilder jaas = new StringBuilder(MskIamLoginModule.class.getName() + " required");
            s.iamKeys().forEach(k -> jaas.append(" key_").append(k.accessKeyId()).append("=\"").append(k.secretAccessKey())
                    .append(' ').append(k.principal()).append('"'));
            props.put("listener.name.sasl_ssl.aws_msk_iam.sasl.jaas.config", jaas.append(';').toString());
            props.put("listener.name.sasl_ssl.aws_msk_iam.sasl.server.callback.handler.class", MskIamSaslServer.Keys.class.getName());
        }
        s.oauthJwks().ifPresent(jwks -> {
            props.put("listener.name.sasl_ssl.oauthbearer.sasl.server.callback.handler.class",
                    "org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler");
            props.put("listener.name.sasl_ssl.oauthbearer.sasl.jaas.config",
                    "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;");
            props.put("listener.name.sasl_ssl.oauthbearer.sasl.oauthbearer.jwks.endpoint.url", jwks);
            props.put("listener.name.sasl_ssl.oauthbearer.sasl.oauthbearer.expected.audience", OAUTH_AUDIENCE);
        });
        props.put("sasl.mechanism.inter.broker.protocol", "SCRAM-SHA-512");
        String superPassword = s.scramUsers().get(s.superUser());
        props.put("listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule "
                + "required username=\"" + s.superUser() + "\" password=\"" + superPassword + "\";");
        StringBuilder plain = new StringBuilder("org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
                + s.superUser() + "\" password=\"" + superPassword + "\" user_" + s.superUser() + "=\"" + superPassword + "\"");
        s.plainUsers().forEach((user, password) -> plain.append(" user_").append(user).append("=\"").append(password).append('"'));
        props.put("listener.name.sasl_ssl.plain.sasl.jaas.config", plain.append(';').toString());
        // The SSL listener takes no password: a client's certificate, signed by a CA the trust store holds, is its login.
        props.put("listener.name.ssl.ssl.client.auth", "required");
        props.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
        props.put("allow.everyone.if.no.acl.found", "false");
        // The controller listener stays PLAINTEXT on 127.0.0.1: the broker reaches its own controller as ANONYMOUS.
        props.put("super.users", "User:" + s.superUser() + ";User:ANONYMOUS");
        return props;
    }

    private void format() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8)) {
            new Formatter()
                    .setPrintStream(print)
                    .setNodeId(node.id())
                    .setClusterId(node.clusterId())
                    .setDirectories(List.of(dataDir.toAbsolutePath().toString()))
                    .setMetadataLogDirectory(dataDir.toAbsolutePath().toString())
                    .setReleaseVersion(MetadataVersion.latestProduction())
                    .setSupportedFeatures(Feature.PRODUCTION_FEATURES)
                    .setControllerListenerName("CONTROLLER")
                    .setIgnoreFormatted(true)
                    .setScramArguments(secured.map(EmbeddedKafka::scramArguments).orElse(List.of()))
                    .run();
        } catch (Exception e) {
            throw new IllegalStateException("formatting Kafka storage in " + dataDir + " failed: "
                    + out.toString(StandardCharsets.UTF_8), e);
        }
    }

    /** The SCRAM users, as {@code kafka-storage format --add-scram} takes them. */
    private static List<String> scramArguments(Secured s) {
        return s.scramUsers().entrySet().stream()
                .map(user -> "SCRAM-SHA-512=[name=" + user.getKey() + ",password=" + user.getValue() + "]").toList();
    }

    /** Stops the broker, keeping its data; {@link #restart()} brings it back on the same port. */
    public void stop() {
        if (server != null) {
            server.shutdown();
            server.awaitShutdown();
            server = null;
        }
    }

    public void restart() {
        stop();
        startServer();
    }

    @Override
    public void close() {
        stop();
    }
}
