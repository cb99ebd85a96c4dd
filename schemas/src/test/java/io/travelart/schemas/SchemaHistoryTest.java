package io.travelart.schemas;

import io.travelart.events.ImageReady;
import io.travelart.events.KeywordRequested;
import io.travelart.events.PromptCreated;
import io.travelart.events.RequestCancelled;
import io.travelart.events.RequestFailed;
import io.travelart.events.WebhookDelivered;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keeps the event contract BACKWARD compatible: every committed earlier version of each event
 * schema (src/test/resources/history/NAME/vN.avsc) must be readable with the current schema, and
 * the newest committed version must be the current schema, so that a change to an .avsc file
 * is only accepted together with its new history entry.
 */
class SchemaHistoryTest {

    private static final Path HISTORY = Path.of("src/test/resources/history");
    private static final Path SNAPSHOTS = Path.of("target/schema-snapshots");

    static Stream<Named<Schema>> events() {
        return Stream.of(KeywordRequested.getClassSchema(), PromptCreated.getClassSchema(),
                        ImageReady.getClassSchema(), RequestFailed.getClassSchema(), RequestCancelled.getClassSchema(), WebhookDelivered.getClassSchema())
                .map(schema -> Named.of(schema.getName(), schema));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("events")
    void currentSchemaReadsEveryEarlierVersion(Schema current) {
        List<Path> versions = versions(current);
        assertThat(versions).as("committed versions of %s", current.getName()).isNotEmpty();
        for (Path version : versions) {
            Schema writer = parse(version);
            var result = SchemaCompatibility.checkReaderWriterCompatibility(current, writer);
            assertThat(result.getType())
                    .as("%s cannot read data written with %s: %s", current.getName(), version,
                            result.getResult().getIncompatibilities())
                    .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("events")
    void newestCommittedVersionIsTheCurrentSchema(Schema current) throws IOException {
        Files.createDirectories(SNAPSHOTS);
        Path snapshot = SNAPSHOTS.resolve(current.getName() + ".avsc");
        Files.writeString(snapshot, current.toString(true), StandardCharsets.UTF_8);
        List<Path> versions = versions(current);
        Schema newest = parse(versions.get(versions.size() - 1));
        assertThat(newest)
                .as("%s changed: if the change is intended, commit %s as %s/%s/v%d.avsc",
                        current.getName(), snapshot, HISTORY, current.getName(), versions.size() + 1)
                .isEqualTo(current);
    }

    private static List<Path> versions(Schema schema) {
        Path dir = HISTORY.resolve(schema.getName());
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().matches("v\\d+\\.avsc"))
                    .sorted(Comparator.comparingInt(SchemaHistoryTest::versionNumber))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int versionNumber(Path file) {
        String name = file.getFileName().toString();
        return Integer.parseInt(name.substring(1, name.indexOf('.')));
    }

    private static Schema parse(Path file) {
        try {
            return new Schema.Parser().parse(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
