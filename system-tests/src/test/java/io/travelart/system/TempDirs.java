package io.travelart.system;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

/**
 * The integration tests' temporary directories (brokers' logs, stored images of real size, batch files), deleted when
 * the test JVM exits: a run of the suite leaves nothing behind, and runs one after another do not fill the disk.
 */
final class TempDirs {

    private static final List<Path> CREATED = new CopyOnWriteArrayList<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> CREATED.forEach(TempDirs::delete), "temp-dirs-delete"));
    }

    private TempDirs() {
    }

    static Path create(String prefix) throws IOException {
        Path dir = Files.createTempDirectory(prefix);
        CREATED.add(dir);
        return dir;
    }

    /** Deletes what it can of the tree; a file a child process still writes may stay. */
    static void delete(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | RuntimeException e) {
            // Only a temporary directory left behind.
        }
    }
}
