package io.travelart.system;

import io.travelart.cli.local.LocalPipeline;
import io.travelart.devstack.openai.SimulatorSettings;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/** One whole local pipeline per test JVM (broker, registry, simulator, both workers), stopped when it exits. */
final class SharedPipeline {

    private static LocalPipeline pipeline;

    private SharedPipeline() {
    }

    static synchronized LocalPipeline get() {
        if (pipeline == null) {
            try {
                java.nio.file.Path dir = Files.createTempDirectory("travelart-e2e");
                pipeline = LocalPipeline.start(dir, 3,
                        Optional.of(SimulatorSettings.defaults().withLatency(Duration.ofMillis(50), Duration.ofMillis(100))),
                        // Probes of a paused stage every second at most, so that WorkerPauseIT sees it resume soon after the fix.
                        Map.of("TRAVELART_MAX_IN_FLIGHT", "16", "TRAVELART_OPENAI_STRICT_RESPONSES", "true",
                                "TRAVELART_PAUSE_PROBE_FIRST", "200ms", "TRAVELART_PAUSE_PROBE_MAX", "1s"));
                LocalPipeline started = pipeline;
                // One hook closes, then deletes the images (most of the bytes, megabytes each); the broker's log
                // directory stays: the broker may still be stopping in a hook of its own, and Kafka halts a JVM whose
                // log directory goes away under it.
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    started.close();
                    TestDirs.delete(dir.resolve("images"));
                }));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return pipeline;
    }
}
