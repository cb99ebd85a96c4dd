package io.travelart.devstack;

import io.travelart.devstack.process.ChildJvm;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Apicurio Registry 2.4.2 (built by the {@code devstack-registry} module) as a child process on
 * 127.0.0.1, in-memory storage. Its Confluent-compatible API is at {@link #confluentUrl()}. It stops
 * with this JVM: on close or exit by the shutdown hook, and after a SIGKILL by watching this process.
 * Apicurio's global default compatibility is NONE, so the start sets BACKWARD like Confluent's.
 */
public final class ApicurioRegistry implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ApicurioRegistry.class);
    private static final Pattern LISTENING = Pattern.compile("Listening on: http://127\\.0\\.0\\.1:(\\d+)");
    /** Where to find the runner jar when {@code TRAVELART_REGISTRY_JAR} is not set, relative to here and parents. */
    private static final String RUNNER = "devstack-registry/target/travelart-devstack-registry-"
            + "0.1.0-SNAPSHOT-runner.jar";

    private final ChildJvm child;
    private final int port;

    private ApicurioRegistry(ChildJvm child, int port) {
        this.child = child;
        this.port = port;
    }

    public static ApicurioRegistry start(Path logFile) {
        Path jar = findRunnerJar().orElseThrow(() -> new IllegalStateException(
                "the registry is not built: no " + RUNNER + " here or above; run 'mvn package' or set TRAVELART_REGISTRY_JAR"));
        long started = System.nanoTime();
        ChildJvm.Started<Integer> registry = ChildJvm.start("the registry", List.of("-Xmx256m", "-XX:+UseSerialGC",
                        "-XX:TieredStopAtLevel=1", "-Dquarkus.http.host=127.0.0.1", "-Dquarkus.http.port=0",
                        "-Dquarkus.log.console.format=%d{HH:mm:ss} %-5p [%c{2.}] %s%e%n", "-jar", jar.toAbsolutePath().toString()),
                logFile, false, line -> {
                    Matcher m = LISTENING.matcher(line);
                    return m.find() ? Optional.of(Integer.parseInt(m.group(1))) : Optional.empty();
                }, Duration.ofSeconds(90));
        ApicurioRegistry running = new ApicurioRegistry(registry.child(), registry.told());
        try {
            running.setGlobalCompatibility("BACKWARD");
        } catch (Exception e) {
            running.close();
            throw new IllegalStateException("the registry did not start: " + e.getMessage() + "; see " + logFile, e);
        }
        log.info("Apicurio registry on {} started in {} ms (log {})", running.confluentUrl(),
                (System.nanoTime() - started) / 1_000_000, logFile);
        return running;
    }

    static Optional<Path> findRunnerJar() {
        return ChildJvm.locate(RUNNER, "TRAVELART_REGISTRY_JAR", "travelart.registry.jar");
    }

    public int port() {
        return port;
    }

    /** The registry process's id. */
    public long pid() {
        return child.pid();
    }

    /** Base URL of the Confluent-compatible API, for SCHEMA_REGISTRY_URL. */
    public String confluentUrl() {
        return "http://127.0.0.1:" + port + "/apis/ccompat/v7";
    }

    private void setGlobalCompatibility(String level) throws IOException, InterruptedException {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(confluentUrl() + "/config"))
                .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"compatibility\":\"" + level + "\"}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() / 100 != 2) {
            throw new IllegalStateException("setting the registry's compatibility to " + level + " answered "
                    + response.statusCode() + ": " + response.body());
        }
    }

    @Override
    public void close() {
        child.close();
    }
}
