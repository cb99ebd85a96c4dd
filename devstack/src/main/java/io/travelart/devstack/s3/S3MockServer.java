package io.travelart.devstack.s3;

import io.travelart.devstack.process.ChildJvm;
import io.travelart.devstack.process.Ports;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Adobe's S3Mock (the standalone jar from Maven Central, which the {@code devstack} build copies to
 * {@code devstack/target/s3mock/s3mock-exec.jar}) as a child process: a real HTTP server speaking the S3 API
 * on 127.0.0.1, its objects in a directory that outlives it, so a restart on the same port and directory
 * finds them again. It stops with this JVM: on close, by a shutdown hook, and after a SIGKILL by
 * {@link S3MockMain} watching this process. It accepts any credentials.
 *
 * <p>S3Mock 5.2 always opens a second plain-HTTP connector besides the one it is told to use, on every
 * interface and with no setting for its address; it is given a random port and nothing of ours uses it.
 */
public final class S3MockServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(S3MockServer.class);
    private static final String STARTED = "Started S3MockApplication";
    private static final String JAR = "devstack/target/s3mock/s3mock-exec.jar";

    private final ChildJvm child;
    private final int port;
    private final Path root;
    private final Path logFile;
    private final List<String> buckets;

    private S3MockServer(ChildJvm child, int port, Path root, Path logFile, List<String> buckets) {
        this.child = child;
        this.port = port;
        this.root = root;
        this.logFile = logFile;
        this.buckets = buckets;
    }

    /** On a free port, its objects under {@code dataDir/objects}, its log in {@code dataDir/s3mock.log}. */
    public static S3MockServer start(Path dataDir, List<String> buckets) {
        return start(Ports.free(), dataDir.resolve("objects"), dataDir.resolve("s3mock.log"), buckets);
    }

    public static S3MockServer start(int port, Path root, Path logFile, List<String> buckets) {
        Path jar = ChildJvm.locate(JAR, "TRAVELART_S3MOCK_JAR", "travelart.s3mock.jar").orElseThrow(() -> new IllegalStateException(
                "S3Mock is not here: no " + JAR + " here or above; run 'mvn package' or set TRAVELART_S3MOCK_JAR"));
        long started = System.nanoTime();
        try {
            Files.createDirectories(root);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make S3Mock's directory " + root + ": " + e.getMessage(), e);
        }
        List<String> arguments = new ArrayList<>(List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", ownLocation() + File.pathSeparator + jar.toAbsolutePath(), S3MockMain.class.getName(),
                "--server.address=127.0.0.1", "--server.port=" + port, "--server.ssl.enabled=false", "--http.port=0",
                "--com.adobe.testing.s3mock.store.root=" + root.toAbsolutePath(),
                "--com.adobe.testing.s3mock.store.retain-files-on-exit=true",
                "--spring.main.banner-mode=off"));
        if (!buckets.isEmpty()) {
            arguments.add("--com.adobe.testing.s3mock.store.initial-buckets=" + String.join(",", buckets));
        }
        ChildJvm child = ChildJvm.start("S3Mock", arguments, logFile, true,
                line -> line.contains(STARTED) ? Optional.of(Boolean.TRUE) : Optional.empty(), Duration.ofSeconds(90)).child();
        S3MockServer server = new S3MockServer(child, port, root, logFile, List.copyOf(buckets));
        log.info("S3Mock on {} started in {} ms (objects in {}, log {})", server.endpoint(),
                (System.nanoTime() - started) / 1_000_000, root, logFile);
        return server;
    }

    /** The jar or class directory this class came from: the child's class path for {@link S3MockMain}. */
    private static String ownLocation() {
        try {
            return Path.of(S3MockMain.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The S3 endpoint, for {@code endpointOverride} (path-style addressing). */
    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    public long pid() {
        return child.pid();
    }

    /** A new server on the same port and directory, after this one is stopped: what it held is there again. */
    public S3MockServer restart() {
        close();
        return start(port, root, logFile, buckets);
    }

    @Override
    public void close() {
        child.close();
    }
}
