package io.travelart.devstack.process;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * A server devstack runs as a child JVM (the registry, S3Mock): its output goes to a log file, it is up
 * when a line of that output says so, and it stops with this JVM (on close, or by a shutdown hook; after
 * a SIGKILL of this JVM the child watches for it itself, given {@code -Dtravelart.parent.pid}).
 */
public final class ChildJvm implements AutoCloseable {

    /** A started child and what its "up" line told (a port, say). */
    public record Started<T>(ChildJvm child, T told) {
    }

    private final Process process;

    private ChildJvm(Process process) {
        this.process = process;
    }

    /**
     * @param what       the server's name, for messages
     * @param arguments  what follows {@code java}: JVM options, then {@code -jar}/{@code -cp} and the arguments
     * @param appendLog  keep what an earlier run wrote to the log (a restart), else start it afresh
     * @param up         reads a line of output: what it tells when it is the line saying the server is up
     */
    public static <T> Started<T> start(String what, List<String> arguments, Path logFile, boolean appendLog,
                                Function<String, Optional<T>> up, Duration timeout) {
        List<String> command = new ArrayList<>();
        command.add(javaExecutable());
        command.add("-Dtravelart.parent.pid=" + ProcessHandle.current().pid());
        command.addAll(arguments);
        Process process;
        try {
            Files.createDirectories(logFile.toAbsolutePath().getParent());
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + what + ": " + e.getMessage(), e);
        }
        ProcessHandle handle = process.toHandle();
        Runtime.getRuntime().addShutdownHook(new Thread(handle::destroy, what + "-stop"));
        CompletableFuture<T> told = new CompletableFuture<>();
        Thread pump = new Thread(() -> pump(what, process, logFile, appendLog, up, told), what + "-log");
        pump.setDaemon(true);
        pump.start();
        try {
            return new Started<>(new ChildJvm(process), told.get(timeout.toMillis(), TimeUnit.MILLISECONDS));
        } catch (TimeoutException e) {
            process.destroyForcibly();
            throw new IllegalStateException(what + " did not start within " + timeout.toSeconds() + " s; see " + logFile);
        } catch (Exception e) {
            process.destroyForcibly();
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new IllegalStateException(what + " did not start: " + cause.getMessage() + "; see " + logFile, e);
        }
    }

    private static <T> void pump(String what, Process process, Path logFile, boolean append, Function<String, Optional<T>> up,
                                 CompletableFuture<T> told) {
        StandardOpenOption[] options = append
                ? new StandardOpenOption[]{StandardOpenOption.CREATE, StandardOpenOption.APPEND}
                : new StandardOpenOption[]{StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE};
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
             BufferedWriter writer = Files.newBufferedWriter(logFile, StandardCharsets.UTF_8, options)) {
            String line;
            while ((line = reader.readLine()) != null) {
                writer.write(line);
                writer.newLine();
                writer.flush();
                if (!told.isDone()) {
                    up.apply(line).ifPresent(told::complete);
                }
            }
        } catch (IOException e) {
            told.completeExceptionally(e);
        }
        if (!told.isDone()) {
            try {
                told.completeExceptionally(new IllegalStateException(what + " exited with code " + process.waitFor()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * A file the build makes: named by an environment variable or system property, else {@code relative} under
     * the working directory, {@code travelart.home} (the travelart script's checkout) or a parent of either.
     */
    public static Optional<Path> locate(String relative, String variable, String property) {
        String configured = System.getenv(variable);
        if (configured == null) {
            configured = System.getProperty(property);
        }
        if (configured != null && !configured.isBlank()) {
            return Optional.of(Path.of(configured)).filter(Files::isRegularFile);
        }
        List<Path> starts = new ArrayList<>(List.of(Path.of("").toAbsolutePath()));
        Optional.ofNullable(System.getProperty("travelart.home")).map(Path::of).ifPresent(starts::add);
        for (Path start : starts) {
            for (Path dir = start; dir != null; dir = dir.getParent()) {
                Path candidate = dir.resolve(relative);
                if (Files.isRegularFile(candidate)) {
                    return Optional.of(candidate);
                }
            }
        }
        return Optional.empty();
    }

    private static String javaExecutable() {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        return Files.isExecutable(java) ? java.toString() : "java";
    }

    public long pid() {
        return process.pid();
    }

    /** SIGKILL: the child gets no chance to shut down; returns its exit code once it is gone (137). */
    public int kill() {
        process.destroyForcibly();
        try {
            return process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
