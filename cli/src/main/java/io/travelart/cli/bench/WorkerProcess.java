package io.travelart.cli.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A worker jar run as its own OS process, as users run it: its own heap, its own peak memory, a real
 * SIGTERM, a real kill -9. Used by the bench and by the fault tests.
 */
public final class WorkerProcess implements AutoCloseable {

    private final String name;
    private final Process process;

    private WorkerProcess(String name, Process process) {
        this.name = name;
        this.process = process;
    }

    public static WorkerProcess start(String name, Map<String, String> env, String maxHeap, Path log) throws IOException {
        Path jar = jar(name);
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + maxHeap, "-Dsun.net.httpserver.nodelay=true", "-Djava.awt.headless=true", "-jar", jar.toString()));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().keySet().removeIf(k -> k.startsWith("OPENAI_") || k.startsWith("KAFKA_")
                || k.startsWith("SCHEMA_REGISTRY") || k.startsWith("TRAVELART_"));
        builder.environment().putAll(env);
        Files.createDirectories(log.getParent());
        builder.redirectErrorStream(true).redirectOutput(log.toFile());
        return new WorkerProcess(name, builder.start());
    }

    /** The worker's jar: beside this checkout's other modules ({@code travelart.home}, set by the launcher, or upwards from here). */
    static Path jar(String name) {
        String home = System.getProperty("travelart.home");
        List<Path> roots = new ArrayList<>();
        if (home != null) {
            roots.add(Path.of(home));
        }
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            roots.add(p);
        }
        for (Path root : roots) {
            Path jar = root.resolve(name).resolve("target").resolve(name + ".jar");
            if (Files.isRegularFile(jar)) {
                return jar;
            }
        }
        throw new IllegalStateException(name + ".jar not found: bench runs the worker jars; build them with 'mvn -DskipTests package'");
    }

    public String name() {
        return name;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Peak resident memory so far (VmHWM), where /proc tells it. */
    Optional<Long> peakRssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"), StandardCharsets.UTF_8)) {
                if (line.startsWith("VmHWM:")) {
                    return Optional.of(Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024);
                }
            }
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    /** Sends SIGKILL, as a crash or the OOM killer would: no drain, no commit, no goodbye to the group. */
    public int kill() throws InterruptedException {
        process.destroyForcibly();
        return process.waitFor();
    }

    /** Sends SIGTERM and waits for the drain; returns the exit code. */
    public int stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
        return process.exitValue();
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
    }
}
