package io.travelart.core;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The packages of worker-core, read from the imports of its sources: no cycle among them (so each can be
 * read knowing only those below it), and the failure vocabulary and time at the bottom, importing none.
 */
class PackageRulesTest {

    private static final Path SOURCES = Path.of("src/main/java/io/travelart/core");
    private static final Pattern IMPORT = Pattern.compile("^import (?:static )?io\\.travelart\\.core\\.([a-z]+)\\.", Pattern.MULTILINE);

    /** Package to the other worker-core packages its sources import. */
    private static Map<String, Set<String>> imports() {
        Map<String, Set<String>> graph = new TreeMap<>();
        try (Stream<Path> files = Files.walk(SOURCES)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                String pkg = SOURCES.relativize(file.getParent()).toString().replace('/', '.');
                Set<String> targets = graph.computeIfAbsent(pkg, p -> new TreeSet<>());
                Matcher m = IMPORT.matcher(Files.readString(file));
                while (m.find()) {
                    if (!m.group(1).equals(pkg)) {
                        targets.add(m.group(1));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return graph;
    }

    @Test
    void noPackageImportsOneThatImportsItBackDirectlyOrThroughOthers() {
        Map<String, Set<String>> graph = imports();
        assertThat(graph).containsKeys("engine", "call", "config", "failure", "time");
        List<String> cycles = new ArrayList<>();
        for (String start : graph.keySet()) {
            findCycles(graph, start, new ArrayList<>(List.of(start)), cycles);
        }
        assertThat(cycles).as("import cycles among %s", graph).isEmpty();
    }

    @Test
    void theFailureVocabularyAndTimeImportNoOtherPackage() {
        Map<String, Set<String>> graph = imports();
        assertThat(graph.get("failure")).isEmpty();
        assertThat(graph.get("time")).isEmpty();
        assertThat(graph.get("call")).as("call/ needs neither the engine nor the settings").doesNotContain("engine", "config");
    }

    private static void findCycles(Map<String, Set<String>> graph, String node, List<String> path, List<String> cycles) {
        for (String next : graph.getOrDefault(node, Set.of())) {
            if (next.equals(path.get(0))) {
                cycles.add(String.join(" -> ", path) + " -> " + next);
            } else if (!path.contains(next)) {
                path.add(next);
                findCycles(graph, next, path, cycles);
                path.remove(path.size() - 1);
            }
        }
    }
}
