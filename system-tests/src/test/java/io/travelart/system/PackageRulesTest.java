package io.travelart.system;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
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
 * The packages of every module, read from their main sources (imports and names written out in full), against the
 * layers written once in {@code docs/layout.md}: each import goes down, so there is no cycle anywhere, and each
 * package can be read knowing only those below it.
 */
class PackageRulesTest {

    private static final Path ROOT = Path.of("..");
    private static final Pattern PACKAGE = Pattern.compile("^package io\\.travelart\\.([\\w.]+);", Pattern.MULTILINE);
    /** A type of ours named in code: the package is the lower-case part before the first upper-case name. */
    private static final Pattern REFERENCE = Pattern.compile("\\bio\\.travelart\\.((?:[a-z]\\w*\\.)*[a-z]\\w*)\\.[A-Z]");
    private static final Pattern LAYERS = Pattern.compile("```layers\\n(.*?)```", Pattern.DOTALL);

    /** Package (without {@code io.travelart.}) to the packages of ours its main sources name. */
    private static Map<String, Set<String>> imports() {
        Map<String, Set<String>> graph = new TreeMap<>();
        try (Stream<Path> modules = Files.list(ROOT)) {
            for (Path sources : modules.map(m -> m.resolve("src/main/java")).filter(Files::isDirectory).toList()) {
                try (Stream<Path> files = Files.walk(sources)) {
                    for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                        String text = Files.readString(file);
                        Matcher declared = PACKAGE.matcher(text);
                        assertThat(declared.find()).as("%s declares a package under io.travelart", file).isTrue();
                        String pkg = declared.group(1);
                        Set<String> targets = graph.computeIfAbsent(pkg, p -> new TreeSet<>());
                        Matcher named = REFERENCE.matcher(text.substring(declared.end()));
                        while (named.find()) {
                            if (!named.group(1).equals(pkg)) {
                                targets.add(named.group(1));
                            }
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return graph;
    }

    /** Package to its line in the layers, 0 at the top. */
    private static Map<String, Integer> layers() {
        String doc;
        try {
            doc = Files.readString(ROOT.resolve("docs/layout.md"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Matcher block = LAYERS.matcher(doc);
        assertThat(block.find()).as("docs/layout.md has a ```layers block").isTrue();
        Map<String, Integer> layer = new HashMap<>();
        String[] lines = block.group(1).strip().split("\n");
        for (int i = 0; i < lines.length; i++) {
            for (String pkg : lines[i].split("\\|")) {
                assertThat(layer.put(pkg.strip(), i)).as("%s is written once", pkg.strip()).isNull();
            }
        }
        return layer;
    }

    @Test
    void everyImportGoesDownTheLayersWrittenInTheLayoutDoc() {
        Map<String, Set<String>> graph = imports();
        Map<String, Integer> layer = layers();
        assertThat(graph).containsKeys("core.engine", "image", "image.batch", "prompt", "gallery", "cli");
        assertThat(layer.keySet()).as("packages in docs/layout.md").containsExactlyInAnyOrderElementsOf(graph.keySet());
        List<String> upward = new ArrayList<>();
        graph.forEach((pkg, targets) -> targets.stream()
                .filter(target -> layer.get(target) <= layer.get(pkg))
                .forEach(target -> upward.add(pkg + " -> " + target)));
        assertThat(upward).as("imports sideways or up the layers of docs/layout.md").isEmpty();
    }

    @Test
    void noPackageImportsOneThatImportsItBackDirectlyOrThroughOthers() {
        // Implied by the layers; kept on its own so that a failure names the cycle rather than one edge of it.
        Map<String, Set<String>> graph = imports();
        List<String> cycles = new ArrayList<>();
        for (String start : graph.keySet()) {
            findCycles(graph, start, new ArrayList<>(List.of(start)), cycles);
        }
        assertThat(cycles).as("import cycles among %s", graph).isEmpty();
    }

    @Test
    void everyPackageLivesInTheModuleItsNameSays() throws IOException {
        Map<String, String> moduleOf = Map.of("core", "worker-core", "prompt", "prompt-worker", "image", "image-worker",
                "gallery", "gallery", "api", "api", "webhook", "webhook-worker", "cli", "cli", "events", "schemas");
        List<String> misplaced = new ArrayList<>();
        try (Stream<Path> modules = Files.list(ROOT)) {
            for (Path module : modules.filter(m -> Files.isDirectory(m.resolve("src/main/java"))).toList()) {
                try (Stream<Path> files = Files.walk(module.resolve("src/main/java"))) {
                    for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                        Matcher declared = PACKAGE.matcher(Files.readString(file));
                        if (!declared.find()) {
                            continue;
                        }
                        String first = declared.group(1).split("\\.")[0];
                        String expected = first.equals("devstack") ? (declared.group(1).startsWith("devstack.registry")
                                ? "devstack-registry" : "devstack") : moduleOf.get(first);
                        if (!module.getFileName().toString().equals(expected)) {
                            misplaced.add(ROOT.relativize(file) + " (package " + declared.group(1) + ")");
                        }
                    }
                }
            }
        }
        assertThat(misplaced).as("sources in another module than their package names").isEmpty();
    }

    @Test
    void theFailureVocabularyAndTimeImportNoOtherPackage() {
        Map<String, Set<String>> graph = imports();
        assertThat(graph.get("core.failure")).isEmpty();
        assertThat(graph.get("core.time")).isEmpty();
        assertThat(graph.get("core.call")).as("call/ needs neither the engine nor the settings").doesNotContain("core.engine", "core.config");
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
