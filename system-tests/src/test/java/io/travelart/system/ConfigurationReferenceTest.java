package io.travelart.system;

import io.travelart.core.config.Settings;
import io.travelart.image.app.ImageWorkerConfig;
import io.travelart.prompt.app.PromptWorkerConfig;
import io.travelart.webhook.Endpoints;
import io.travelart.webhook.app.WebhookWorkerConfig;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The configuration reference, {@code docs/configuration.md}, is made from the one list of settings
 * ({@code settings.tsv} in worker-core) and checked against the code: every name a worker reads is in the list, every
 * name in the list is read, the worker column says who reads it, and a default the code reads with is the default
 * the list gives. Run with {@code -Dtravelart.write-docs=true} to write the table after editing the list.
 */
class ConfigurationReferenceTest {

    private static final Path DOC = Path.of("..", "docs", "configuration.md");
    private static final String BEGIN = "<!-- settings table: made from worker-core/src/main/resources/io/travelart/core/config/settings.tsv"
            + " by ConfigurationReferenceTest; edit that file, not this table -->";
    private static final String END = "<!-- end of the settings table -->";

    /** One row of the list: its names, which worker reads them, its default as a person reads it, what it means. */
    record Row(List<String> names, String worker, String defaults, String meaning) {
        /** The default of one of the row's names: its part of "a / b" when the row gives one per name. */
        String defaultOf(String name) {
            String[] parts = defaults.split(" / ");
            return parts.length == names.size() ? parts[names.indexOf(name)] : defaults;
        }
    }

    static List<Row> rows() throws IOException {
        List<Row> rows = new ArrayList<>();
        try (InputStream in = Settings.class.getResourceAsStream("settings.tsv")) {
            assertThat(in).as("settings.tsv beside Settings").isNotNull();
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] cells = line.split("\t", -1);
                assertThat(cells).as("four columns in %s", line).hasSize(4);
                rows.add(new Row(List.of(cells[0].split(" ")), cells[1], cells[2], cells[3]));
            }
        }
        return rows;
    }

    /** The environments each worker is read in, so that every branch of its settings is taken. */
    private static final Map<String, String> REQUIRED = Map.of("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092",
            "SCHEMA_REGISTRY_URL", "http://localhost:8081", "OPENAI_API_KEY", "sk-test");

    private static Map<String, String> with(String... pairs) {
        Map<String, String> env = new HashMap<>(REQUIRED);
        for (int i = 0; i < pairs.length; i += 2) {
            env.put(pairs[i], pairs[i + 1]);
        }
        return env;
    }

    /** Name to the workers that read it, and to the default it is read with, over every environment. */
    private record Reads(Map<String, Set<String>> workers, Map<String, String> defaults) {
        /** Who reads a name: by itself, or under a prefix read whole ({@code KAFKA_*} takes every {@code KAFKA_} name). */
        Set<String> readers(String name) {
            if (workers.containsKey(name)) {
                return workers.get(name);
            }
            return workers.entrySet().stream().filter(e -> e.getKey().endsWith("*")
                            && name.startsWith(e.getKey().substring(0, e.getKey().length() - 1)))
                    .map(Map.Entry::getValue).findFirst().orElse(Set.of());
        }

        void read(String worker, Map<String, String> env, Consumer<Settings> config) {
            Settings settings = Settings.of(env);
            config.accept(settings);
            settings.namesRead().forEach(name -> workers.computeIfAbsent(name, n -> new TreeSet<>()).add(worker));
            settings.defaultsRead().forEach(defaults::putIfAbsent);
        }
    }

    private static Reads reads() {
        Reads reads = new Reads(new TreeMap<>(), new TreeMap<>());
        reads.read("prompt", with(), PromptWorkerConfig::from);
        reads.read("image", with(), ImageWorkerConfig::from);
        reads.read("image", with("TRAVELART_IMAGE_STORE", "s3", "TRAVELART_S3_BUCKET", "images", "AWS_ACCESS_KEY_ID", "id",
                "AWS_SECRET_ACCESS_KEY", "secret"), ImageWorkerConfig::from);
        reads.read("image", with("TRAVELART_IMAGE_PROVIDER", "comfyui", "TRAVELART_COMFYUI_URL", "http://gpu:8188",
                "TRAVELART_IMAGE_MODEL", "sd_xl_base_1.0.safetensors"), ImageWorkerConfig::from);
        reads.read("webhook", with("TRAVELART_WEBHOOK_ENDPOINTS", "shop=https://shop.example/hooks",
                "TRAVELART_WEBHOOK_SECRETS", "shop=" + Endpoints.newSecret()), WebhookWorkerConfig::from);
        return reads;
    }

    @Test
    void everySettingAWorkerReadsIsListedAndEveryListedOneIsRead() throws IOException {
        Set<String> listed = rows().stream().flatMap(r -> r.names().stream()).collect(Collectors.toCollection(TreeSet::new));
        Reads reads = reads();
        assertThat(difference(reads.workers().keySet(), listed)).as("read by a worker, missing from settings.tsv").isEmpty();
        assertThat(listed.stream().filter(name -> reads.readers(name).isEmpty()).toList()).as("in settings.tsv, read by no worker")
                .isEmpty();
    }

    @Test
    void theWorkerColumnSaysWhoReadsEachSetting() throws IOException {
        Reads reads = reads();
        for (Row row : rows()) {
            for (String name : row.names()) {
                Set<String> who = reads.readers(name);
                // all: the three workers; both: the prompt- and the image-worker; else the one that reads it.
                String expected = who.size() == 3 ? "all" : who.equals(Set.of("image", "prompt")) ? "both"
                        : who.size() == 1 ? who.iterator().next() : String.join(" and ", who);
                assertThat(row.worker()).as("worker of %s", name).startsWith(expected);
            }
        }
    }

    @Test
    void theDefaultsListedAreTheOnesTheCodeReadsWith() throws IOException {
        Map<String, String> defaults = reads().defaults();
        List<String> wrong = new ArrayList<>();
        for (Row row : rows()) {
            for (String name : row.names()) {
                String code = defaults.get(name);
                // A default the code computes (the host name, the model's) is written in words; one it reads with is
                // written as a value, and must be that value.
                if (code != null && row.defaultOf(name).contains("`") && !row.defaultOf(name).contains("`" + code + "`")) {
                    wrong.add(name + ": the code reads it with " + code + ", settings.tsv says " + row.defaultOf(name));
                }
            }
        }
        assertThat(wrong).isEmpty();
    }

    @Test
    void theReferenceIsTheTableMadeFromTheList() throws IOException {
        String doc = Files.readString(DOC, StandardCharsets.UTF_8);
        int begin = doc.indexOf(BEGIN);
        int end = doc.indexOf(END);
        assertThat(begin).as("docs/configuration.md marks where the table begins").isNotNegative();
        assertThat(end).as("and where it ends").isGreaterThan(begin);
        String table = table(rows());
        String made = doc.substring(0, begin + BEGIN.length()) + "\n" + table + doc.substring(end);
        if (Boolean.getBoolean("travelart.write-docs")) {
            Files.writeString(DOC, made, StandardCharsets.UTF_8);
            doc = made;
        }
        assertThat(doc).as("docs/configuration.md (run this test with -Dtravelart.write-docs=true to write it)").isEqualTo(made);
    }

    private static String table(List<Row> rows) {
        StringBuilder out = new StringBuilder("| variable | worker | default | meaning |\n| --- | --- | --- | --- |\n");
        for (Row row : rows) {
            out.append("| ").append(row.names().stream().map(n -> "`" + n + "`").collect(Collectors.joining(" / ")))
                    .append(" | ").append(row.worker()).append(" | ").append(row.defaults()).append(" | ").append(row.meaning())
                    .append(" |\n");
        }
        return out.toString();
    }

    private static Set<String> difference(Set<String> a, Set<String> b) {
        Set<String> rest = new TreeSet<>(a);
        rest.removeAll(b);
        return rest;
    }
}
