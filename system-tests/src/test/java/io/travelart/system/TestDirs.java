package io.travelart.system;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Deletes a test's temporary directory once what used it is closed (brokers' logs and images of real size: a full run
 * left gigabytes in /tmp, which once filled this machine's disk mid-run). Called where a test closes its stack, after
 * the close, never from a shutdown hook of its own: a broker still shutting down must not lose its log directory.
 */
final class TestDirs {

    private TestDirs() {
    }

    static void delete(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            System.err.println("could not delete " + dir + ": " + e);
        }
    }
}
