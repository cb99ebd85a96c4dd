package io.travelart.devstack;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

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

    private final Process process;
    private final int port;

    private ApicurioRegistry(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    public static ApicurioRegistry start(Path logFile) {
        Path jar = findRunnerJar().orElseThrow(() -> new IllegalStateException(
                "the registry is not built: no " + RUNNER + " here or above; run 'mvn package' or set TRAVELART_REGISTRY_JAR"));
        long started = System.nanoTime();
        List<String> command = new ArrayList<>(List.of(javaExecutable(), "-Xmx256m", "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-Dquarkus.http.host=127.0.0.1", "-Dquarkus.http.port=0",
                "-Dtravelart.parent.pid=" + ProcessHandle.current().pid(),
                "-Dquarkus.log.console.format=%d{HH:mm:ss} %-5p [%c{2.}] %s%e%n",
                "-jar", jar.toAbsolutePath().toString()));
        Process process;
        try {
            Files.createDirectories(logFile.toAbsolutePath().getParent());
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the registry: " + e.getMessage(), e);
        }
        ProcessHandle handle = process.toHandle();
        Runtime.getRuntime().addShutdownHook(new Thread(handle::destroy, "registry-stop"));
        CompletableFuture<Integer> port = new CompletableFuture<>();
        Thread pump = new Thread(() -> pump(process, logFile, port), "registry-log");
        pump.setDaemon(true);
        pump.start();
        try {
            int p = port.get(90, TimeUnit.SECONDS);
            ApicurioRegistry registry = new ApicurioRegistry(process, p);
            registry.setGlobalCompatibility("BACKWARD");
            log.info("Apicurio registry on {} started in {} ms (log {})", registry.confluentUrl(),
                    (System.nanoTime() - started) / 1_000_000, logFile);
            return registry;
        } catch (TimeoutException e) {
            process.destroyForcibly();
            throw new IllegalStateException("the registry did not start within 90 s; see " + logFile);
        } catch (Exception e) {
            process.destroyForcibly();
            throw new IllegalStateException("the registry did not start: " + e.getMessage() + "; see " + logFile, e);
        }
    }

    private static void pump(Process process, Path logFile, CompletableFuture<Integer> port) {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
             BufferedWriter writer = Files.newBufferedWriter(logFile, StandardCharsets.UTF_8)) {
            String line;
            while ((line = reader.readLine()) != null) {
                writer.write(line);
                writer.newLine();
                writer.flush();
                if (!port.isDone()) {
                    Matcher m = LISTENING.matcher(line);
                    if (m.find()) {
                        port.complete(Integer.parseInt(m.group(1)));
                    }
                }
            }
        } catch (IOException e) {
            port.completeExceptionally(e);
        }
        if (!port.isDone()) {
            try {
                port.completeExceptionally(new IllegalStateException("the registry exited with code " + process.waitFor()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    static Optional<Path> findRunnerJar() {
        String configured = System.getenv("TRAVELART_REGISTRY_JAR");
        if (configured == null) {
            configured = System.getProperty("travelart.registry.jar");
        }
        if (configured != null && !configured.isBlank()) {
            return Optional.of(Path.of(configured)).filter(Files::isRegularFile);
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve(RUNNER);
            if (Files.isRegularFile(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    private static String javaExecutable() {
        return Stream.of(Path.of(System.getProperty("java.home"), "bin", "java"))
                .filter(Files::isExecutable).map(Path::toString).findFirst().orElse("java");
    }

    public int port() {
        return port;
    }

    /** The registry process's id. */
    public long pid() {
        return process.pid();
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
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
