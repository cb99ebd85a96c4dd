package io.travelart.system;

import io.travelart.cli.records.RequestPublisher;
import io.travelart.cli.records.CommittedRecords;
import io.travelart.cli.bench.WorkerProcess;
import io.travelart.core.failure.ErrorCodes;
import io.travelart.core.http.StalledClients;
import io.travelart.devstack.openai.OpenAiSimulator.Endpoint;
import io.travelart.devstack.process.Ports;
import io.travelart.devstack.openai.SimulatorSettings;
import io.travelart.events.KeywordRequested;
import io.travelart.events.PromptCreated;
import io.travelart.events.RequestFailed;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What an outside client can send, against both worker jars at the heap they get in production (-Xmx512m):
 * allocation bombs, random bytes after a valid header, megabyte fields, a 60,000-entry map, an input whose
 * output would be too large, and 50 stalled connections on every HTTP port. Good requests are published behind
 * the bad ones on the same partition and on others.
 */
class HostileInputIT {

    private static final int STALLED_PER_PORT = 50;
    /** The image-worker's TRAVELART_MAX_RECORD_BYTES here: small, so that records over it and outputs over it are cheap to make. */
    private static final int IMAGE_MAX_RECORD_BYTES = 64 << 10;

    /** A hostile record: where it went, under which key, and the failure code it must end as. */
    private record Case(String name, String topic, String key, String code, boolean hasRequestId) {
    }

    @Test
    void everyHostileRecordIsAnsweredOnceTheGoodOnesAreReadyAndBothWorkersStayUp() throws Exception {
        try (ProcessPipeline<?> pipeline = ProcessPipeline.start(SimulatorSettings.defaults().withReusedImages(true))) {
            int[] ports = Ports.free(3);
            int promptPort = ports[0];
            int imagePort = ports[1];
            int imageHttpPort = ports[2];
            WorkerProcess prompt = pipeline.worker("prompt-worker", "hostile",
                    Map.of("TRAVELART_MANAGEMENT_PORT", Integer.toString(promptPort), "TRAVELART_MANAGEMENT_HOST", "127.0.0.1"));
            WorkerProcess image = pipeline.worker("image-worker", "hostile", Map.of(
                    "TRAVELART_MANAGEMENT_PORT", Integer.toString(imagePort), "TRAVELART_MANAGEMENT_HOST", "127.0.0.1",
                    "TRAVELART_IMAGE_HTTP_PORT", Integer.toString(imageHttpPort),
                    "TRAVELART_MAX_RECORD_BYTES", Integer.toString(IMAGE_MAX_RECORD_BYTES)));
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                    .until(() -> get(http, promptPort, "/health/ready").statusCode() == 200
                            && get(http, imagePort, "/health/ready").statusCode() == 200);

            List<Socket> stalled = new ArrayList<>();
            try {
                for (int port : List.of(promptPort, imagePort, imageHttpPort)) {
                    for (int i = 0; i < STALLED_PER_PORT; i++) {
                        stalled.add(StalledClients.stall(port));
                    }
                }
                // Right away, while every stalled connection holds (the servers cut each after 10 s).
                long liveStarted = System.nanoTime();
                int promptLive = get(http, promptPort, "/health/live").statusCode();
                int imageLive = get(http, imagePort, "/health/live").statusCode();
                long liveMs = (System.nanoTime() - liveStarted) / 1_000_000;
                long imageServerStarted = System.nanoTime();
                int imageServerAnswer = get(http, imageHttpPort, "/images/none.png").statusCode();
                long imageServerMs = (System.nanoTime() - imageServerStarted) / 1_000_000;

                String topicIn = pipeline.topics().keywordRequested();
                String topicPrompt = pipeline.topics().promptCreated();
                String run = Long.toString(System.currentTimeMillis(), 36);
                List<Case> cases = new ArrayList<>();
                byte[] header = Arrays.copyOf(pipeline.serde().serialize(topicIn, valid("header", "k")), 5);
                cases.add(send(pipeline, new Case("length bomb", topicIn, "len-bomb-" + run, ErrorCodes.INGEST, false),
                        concat(header, zigzag(Integer.MAX_VALUE - 8L))));
                cases.add(send(pipeline, new Case("map count bomb", topicIn, "map-bomb-" + run, ErrorCodes.INGEST, false),
                        concat(header, mapCountBomb())));
                Random random = new Random(21);
                for (int i = 0; i < 3; i++) {
                    byte[] noise = new byte[900 * 1024];
                    random.nextBytes(noise);
                    cases.add(send(pipeline, new Case("900 KB random bytes " + i, topicIn, "random-" + i + "-" + run, ErrorCodes.INGEST, false),
                            concat(header, noise)));
                }
                KeywordRequested style = valid(UUID.randomUUID().toString(), "Kyoto in autumn rain");
                style.setStyle("s".repeat(1_000_000));
                cases.add(send(pipeline, new Case("1 MB style", topicIn, style.getRequestId(), ErrorCodes.INVALID_INPUT, true),
                        pipeline.serde().serialize(topicIn, style)));
                KeywordRequested attributes = valid(UUID.randomUUID().toString(), "Lisbon trams");
                Map<String, String> many = new HashMap<>();
                for (int i = 0; i < 60_000; i++) {
                    many.put("a" + i, "v");
                }
                attributes.setAttributes(many);
                cases.add(send(pipeline, new Case("60,000-entry map", topicIn, attributes.getRequestId(), ErrorCodes.INVALID_INPUT, true),
                        pipeline.serde().serialize(topicIn, attributes)));
                PromptCreated over = promptCreated(UUID.randomUUID().toString(), 40_000);
                cases.add(send(pipeline, new Case("prompt-created over the record limit", topicPrompt, over.getRequestId(), ErrorCodes.INGEST, false),
                        pipeline.serde().serialize(topicPrompt, over)));
                PromptCreated bigOutput = justUnderTheLimit(pipeline);
                cases.add(send(pipeline, new Case("output over the record limit", topicPrompt, bigOutput.getRequestId(),
                        ErrorCodes.INVALID_INPUT, true), pipeline.serde().serialize(topicPrompt, bigOutput)));

                // Good requests behind the bad ones: on the first bomb's partition, and anywhere.
                int bombPartition = partition("len-bomb-" + run);
                List<String> good = new ArrayList<>();
                while (good.size() < 10) {
                    String id = UUID.randomUUID().toString();
                    if (partition(id) == bombPartition) {
                        good.add(publish(pipeline, valid(id, "Santorini at sunrise " + good.size())));
                    }
                }
                for (int i = 0; i < 10; i++) {
                    good.add(publish(pipeline, valid(UUID.randomUUID().toString(), "Seoul in spring " + i)));
                }

                await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500))
                        .until(() -> pipeline.readyCounts().keySet().containsAll(good)
                                && pipeline.failuresByKey(keys(cases)).size() == cases.size());
                Map<String, Integer> failureCounts = pipeline.failuresByKey(keys(cases));
                Map<String, String> codes = codes(pipeline, cases);
                ProcessPipeline.Figures figures = pipeline.figures(good);
                String imageUrl = "http://127.0.0.1:" + imageHttpPort + "/images/" + good.get(0) + ".png";
                HttpResponse<byte[]> imageAnswer = http.send(HttpRequest.newBuilder(URI.create(imageUrl)).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                long paidForRefused = cases.stream().filter(c -> c.hasRequestId() && !c.name().startsWith("output"))
                        .mapToLong(c -> pipeline.simulator().calls(Endpoint.MODERATIONS, c.key()) + pipeline.simulator().calls(Endpoint.CHAT, c.key())
                                + pipeline.simulator().calls(Endpoint.IMAGES, c.key())).sum();
                long imagesForBigOutput = pipeline.simulator().billed(Endpoint.IMAGES, bigOutput.getRequestId());
                System.out.printf("hostile input: %d hostile records, %d answered once %s; %s; %d calls for refused requests, "
                                + "%d image paid for the too-large output; with %d stalled connections on each of 3 ports: /health/live "
                                + "%d and %d in %d ms, the image server %d in %d ms; workers alive: %s, %s%n",
                        cases.size(), failureCounts.values().stream().filter(n -> n == 1).count(),
                        cases.stream().map(c -> c.name() + " " + codes.get(c.key())).toList(), figures, paidForRefused,
                        imagesForBigOutput, STALLED_PER_PORT, promptLive, imageLive, liveMs, imageServerAnswer, imageServerMs,
                        prompt.isAlive(), image.isAlive());

                assertThat(failureCounts).as("one request-failed per hostile record").hasSize(cases.size())
                        .allSatisfy((key, n) -> assertThat(n).as(key).isEqualTo(1));
                for (Case c : cases) {
                    assertThat(codes.get(c.key())).as(c.name()).isEqualTo(c.code());
                }
                assertThat(figures.lost()).isZero();
                assertThat(figures.duplicated()).isZero();
                assertThat(pipeline.failures(good)).isEmpty();
                assertThat(good).allSatisfy(id -> assertThat(pipeline.simulator().calls(Endpoint.MODERATIONS, id))
                        .as("a good request is moderated, so no call for a refused one means something").isPositive());
                assertThat(paidForRefused).as("calls for refused requests").isZero();
                assertThat(imagesForBigOutput).as("the too-large output's image is paid once, never again").isEqualTo(1);
                assertThat(promptLive).isEqualTo(200);
                assertThat(imageLive).isEqualTo(200);
                // Within a second: each probe is sent with a one-second timeout, as a kubelet's is (timeoutSeconds: 1), and a
                // later answer would have thrown; the times are printed, not asserted.
                assertThat(imageServerAnswer).as("the image server answers beside the stalled connections").isEqualTo(404);
                assertThat(imageAnswer.statusCode()).isEqualTo(200);
                assertThat(prompt.isAlive()).isTrue();
                assertThat(image.isAlive()).isTrue();
            } finally {
                for (Socket socket : stalled) {
                    socket.close();
                }
            }
            assertThat(image.stop()).isZero();
            assertThat(prompt.stop()).isZero();
        }
    }

    private static Case send(ProcessPipeline<?> pipeline, Case c, byte[] value) {
        pipeline.send(c.topic(), c.key(), value);
        return c;
    }

    private static String publish(ProcessPipeline<?> pipeline, KeywordRequested request) {
        return pipeline.send(pipeline.topics().keywordRequested(), request.getRequestId(),
                pipeline.serde().serialize(pipeline.topics().keywordRequested(), request));
    }

    private static List<String> keys(List<Case> cases) {
        return cases.stream().map(Case::key).toList();
    }

    /** The error code of each case's failure event, by key. */
    private static Map<String, String> codes(ProcessPipeline<?> pipeline, List<Case> cases) {
        Map<String, String> codes = new LinkedHashMap<>();
        List<String> keys = keys(cases);
        CommittedRecords.read(pipeline.kafka(), pipeline.topics().requestFailed(), record -> {
            String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
            if (keys.contains(key)) {
                codes.put(key, pipeline.serde().deserialize(record.value(), RequestFailed.class).getErrorCode());
            }
        });
        return codes;
    }

    /** The partition Kafka's default partitioner gives a key among the pipeline's partitions. */
    private static int partition(String key) {
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % ProcessPipeline.PARTITIONS;
    }

    private static KeywordRequested valid(String id, String keyword) {
        return KeywordRequested.newBuilder(RequestPublisher.request(keyword, null, "en-US", null, "hostile-test")).setRequestId(id).build();
    }

    private static PromptCreated promptCreated(String id, int promptChars) {
        KeywordRequested request = valid(id, "Hanoi street food");
        return PromptCreated.newBuilder().setRequestId(id).setRequest(request).setPrompt("é".repeat(promptChars))
                .setModel("gpt-5.4-mini").setPromptLatencyMs(1).setCreatedAt(Instant.now()).build();
    }

    /** A prompt-created just under the image-worker's record limit: its image-ready, which adds the image's fields, is over it. */
    private static PromptCreated justUnderTheLimit(ProcessPipeline<?> pipeline) {
        String id = UUID.randomUUID().toString();
        Map<String, String> attributes = new HashMap<>();
        for (int i = 0; i < 7; i++) {
            attributes.put("note" + i, "n".repeat(1000));
        }
        int chars = 1;
        PromptCreated event = promptCreated(id, chars);
        while (true) {
            PromptCreated longer = promptCreated(id, chars + 100);
            longer.getRequest().setAttributes(attributes);
            if (pipeline.serde().serialize(pipeline.topics().promptCreated(), longer).length > IMAGE_MAX_RECORD_BYTES - 64) {
                return event;
            }
            event = longer;
            chars += 100;
        }
    }

    /** A KeywordRequested up to its attributes, whose map then declares 2^40 entries. */
    private static byte[] mapCountBomb() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
        encoder.writeString("map-bomb");
        encoder.writeString("k");
        for (int i = 0; i < 4; i++) {
            encoder.writeIndex(0); // locale, style, imageSize, sourceSystem: null
        }
        encoder.writeLong(0); // requestedAt
        encoder.writeLong(1L << 40); // the attributes' first block count
        encoder.flush();
        return out.toByteArray();
    }

    private static byte[] zigzag(long value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long n = (value << 1) ^ (value >> 63);
        while ((n & ~0x7FL) != 0) {
            out.write((int) ((n & 0x7F) | 0x80));
            n >>>= 7;
        }
        out.write((int) n);
        return out.toByteArray();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    private static HttpResponse<String> get(HttpClient http, int port, String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(1)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
