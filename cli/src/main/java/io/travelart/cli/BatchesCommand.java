package io.travelart.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.travelart.core.config.Settings;
import io.travelart.core.kafka.TopicSetup;
import io.travelart.image.batch.BatchLaneConfig;
import io.travelart.image.batch.BatchRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "batches", mixinStandardHelpOptions = true,
        description = "Lists the image-worker's batches (the batch lane), open ones first: requests, answered and failed, "
                + "age and estimated cost.")
final class BatchesCommand implements Callable<Integer> {

    @Mixin
    ConnectionOptions connection;

    @Option(names = "--json", description = "One JSON object per batch instead of a table.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        String topic = BatchLaneConfig.from(Settings.fromEnvironment()).batchesTopic();
        PrintWriter out = spec.commandLine().getOut();
        try (TopicSetup setup = new TopicSetup(connection.kafka(), Duration.ofSeconds(15))) {
            if (!setup.existing().contains(topic)) {
                spec.commandLine().getErr().println("travelart: no batches: " + topic + " does not exist (no image-worker has "
                        + "started its batch lane on " + connection.kafka().bootstrapServers() + ")");
                return 0;
            }
        }
        List<BatchRecord> batches = new ArrayList<>(read(topic).values());
        Instant now = Instant.now();
        batches.sort(Comparator.comparing((BatchRecord b) -> b.state().equals(BatchRecord.DONE))
                .thenComparing(BatchRecord::submittedAtMs, Comparator.reverseOrder()));
        if (json) {
            ObjectMapper mapper = new ObjectMapper();
            for (BatchRecord b : batches) {
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("batchId", b.batchId());
                line.put("state", b.state().equals(BatchRecord.DONE) ? b.status() : "open");
                line.put("requests", b.requests());
                line.put("ready", b.ready());
                line.put("failed", b.failed());
                line.put("submittedAt", Instant.ofEpochMilli(b.submittedAtMs()).toString());
                line.put("ageSeconds", Duration.between(Instant.ofEpochMilli(b.submittedAtMs()), now).toSeconds());
                line.put("estimatedCostUsd", b.state().equals(BatchRecord.DONE) ? Math.round(b.costUsd() * 1e6) / 1e6 : null);
                out.println(mapper.writeValueAsString(line));
            }
        } else {
            out.printf("%-40s %-10s %8s %6s %6s %9s %10s%n", "BATCH", "STATE", "REQUESTS", "READY", "FAILED", "AGE", "COST");
            for (BatchRecord b : batches) {
                boolean done = b.state().equals(BatchRecord.DONE);
                out.printf("%-40s %-10s %8d %6s %6s %9s %10s%n", b.batchId(), done ? b.status() : "open", b.requests(),
                        done ? Integer.toString(b.ready()) : "-", done ? Integer.toString(b.failed()) : "-",
                        age(Duration.between(Instant.ofEpochMilli(b.submittedAtMs()), now)),
                        done ? String.format(Locale.ROOT, "$%.4f", b.costUsd()) : "-");
            }
            long open = batches.stream().filter(b -> !b.state().equals(BatchRecord.DONE)).count();
            out.printf("%d open, %d finished%n", open, batches.size() - open);
        }
        out.flush();
        return 0;
    }

    /** The latest record of each batch: what the compacted topic will keep. */
    private Map<String, BatchRecord> read(String topic) {
        Map<String, BatchRecord> latest = new LinkedHashMap<>();
        try (KafkaConsumer<String, byte[]> reader = new KafkaConsumer<>(connection.kafka().with(Map.of(
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false")), new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = reader.partitionsFor(topic, Duration.ofSeconds(15)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            reader.assign(partitions);
            reader.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = reader.endOffsets(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (partitions.stream().anyMatch(tp -> reader.position(tp) < ends.get(tp)) && System.nanoTime() < deadline) {
                reader.poll(Duration.ofMillis(200)).forEach(r -> {
                    if (r.value() != null) {
                        latest.put(r.key(), BatchRecord.fromJson(r.value()));
                    }
                });
            }
        }
        return latest;
    }

    private static String age(Duration age) {
        long s = age.toSeconds();
        return s < 120 ? s + "s" : s < 7200 ? s / 60 + "m" : s / 3600 + "h";
    }
}
