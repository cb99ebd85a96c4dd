package io.travelart.image;

import io.travelart.image.openai.OpenAiImageGenerator;
import io.travelart.image.store.FileSystemImageStore;
import io.travelart.core.call.RateLimiter;
import io.travelart.core.worker.Guard;
import io.travelart.core.call.RetryConfig;
import io.travelart.core.call.RetryPolicy;
import io.travelart.core.time.Time;
import io.travelart.core.failure.ErrorCodes;
import io.travelart.core.failure.Failure;
import io.travelart.core.engine.Outcome;
import io.travelart.core.openai.OpenAiClients;
import io.travelart.core.openai.OpenAiConfig;
import io.travelart.core.openai.OpenAiErrors;
import io.travelart.devstack.openai.OpenAiSimulator;
import io.travelart.devstack.openai.SimulatorSettings;
import io.travelart.events.ImageReady;
import io.travelart.events.KeywordRequested;
import io.travelart.events.PromptCreated;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.random.RandomGenerator;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.travelart.core.engine.StageGate;

import static org.assertj.core.api.Assertions.assertThat;

/** The image stage against the simulator, through the SDK with strict validation, storing into a temp dir. */
class ImageStageTest {

    private static final OpenAiErrors ERRORS = new OpenAiErrors(Clock.systemUTC());

    private static OpenAiSimulator simulator;
    private static com.openai.client.OpenAIClient client;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        simulator = OpenAiSimulator.start(SimulatorSettings.instant());
        client = OpenAiClients.create(new OpenAiConfig(Optional.of("sk-test"), simulator.baseUrl(), Duration.ofSeconds(10), true), 4);
    }

    @AfterAll
    static void stop() {
        client.close();
        simulator.close();
    }

    private ImageStage stage(String model) throws IOException {
        return new ImageStage(new OpenAiImageGenerator(client, model, Duration.ofSeconds(10)), model, new FileSystemImageStore(dir),
                ImageLinks.under("http://images.example/images"), Runnable::run, Clock.systemUTC(), ERRORS, new ImageSize(1024, 1024), "medium");
    }

    private static PromptCreated prompt(String requestId, String prompt, String size) {
        KeywordRequested request = KeywordRequested.newBuilder().setRequestId(requestId).setKeyword("Paris")
                .setImageSize(size).setRequestedAt(Instant.now()).build();
        return PromptCreated.newBuilder().setRequestId(requestId).setRequest(request).setPrompt(prompt)
                .setModel("gpt-5.4-mini").setPromptLatencyMs(12).setCreatedAt(Instant.now()).build();
    }

    private static ImageReady ready(Outcome<ImageReady> outcome) {
        assertThat(outcome).isInstanceOf(Outcome.Published.class);
        return ((Outcome.Published<ImageReady>) outcome).event();
    }

    private static Failure failure(Outcome<ImageReady> outcome) {
        assertThat(outcome).isInstanceOf(Outcome.Failed.class);
        return ((Outcome.Failed<ImageReady>) outcome).failure();
    }

    @Test
    void storesTheBase64ImageAndPublishesItsDurableUrlSizeAndHash() throws IOException {
        ImageReady ready = ready(stage("gpt-image-2.6-flare").process(prompt("img-1", "Paris on a snowy winter night", null)).join());

        Path file = dir.resolve("img-1.png");
        byte[] bytes = Files.readAllBytes(file);
        assertThat(ready.getImageUrl()).isEqualTo("http://images.example/images/img-1.png");
        assertThat(ready.getImageLocation()).isEqualTo(file.toAbsolutePath().toString());
        assertThat(ready.getContentType()).isEqualTo("image/png");
        assertThat(ready.getSizeBytes()).isEqualTo(bytes.length);
        assertThat(ready.getSha256()).isEqualTo(FileSystemImageStore.sha256(bytes));
        assertThat(ready.getWidth()).isEqualTo(1024);
        assertThat(ready.getHeight()).isEqualTo(1024);
        assertThat(ready.getImageModel()).isEqualTo("gpt-image-2.6-flare");
        assertThat(ready.getPromptModel()).isEqualTo("gpt-5.4-mini");
        assertThat(ready.getImageUsage().getTotalTokens()).isPositive();
        assertThat(simulator.billed(OpenAiSimulator.Endpoint.IMAGES, "img-1")).isEqualTo(1);
    }

    @Test
    void aRedeliveredRequestWhoseImageIsStoredIsAnsweredFromTheStoreWithoutACall() throws IOException {
        ImageReady first = ready(stage("gpt-image-2.6-flare").process(prompt("img-again", "Hanoi at dawn", null)).join());
        ImageReady again = ready(stage("gpt-image-2.6-flare").process(prompt("img-again", "Hanoi at dawn", null)).join());

        assertThat(simulator.calls(OpenAiSimulator.Endpoint.IMAGES, "img-again")).isEqualTo(1);
        assertThat(again.getImageUrl()).isEqualTo(first.getImageUrl());
        assertThat(again.getSha256()).isEqualTo(first.getSha256());
        assertThat(again.getSizeBytes()).isEqualTo(first.getSizeBytes());
        assertThat(again.getWidth()).isEqualTo(1024);
    }

    @Test
    void aRequestArrivingAgainWhileItsCallRunsJoinsThatCall() throws Exception {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        ImageGenerator held = (requestId, prompt, size, quality) -> {
            calls.incrementAndGet();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new OpenAiImageGenerator(client, "gpt-image-2.6-flare", Duration.ofSeconds(10)).generate(requestId, prompt, size, quality);
        };
        var executor = java.util.concurrent.Executors.newCachedThreadPool();
        try {
            ImageStage stage = new ImageStage(held, "gpt-image-2.6-flare", new FileSystemImageStore(dir), ImageLinks.under("http://images.example/images"),
                    executor, Clock.systemUTC(), ERRORS, new ImageSize(1024, 1024), "medium");
            var first = stage.process(prompt("img-joined", "Seoul at night", null));
            var second = stage.process(prompt("img-joined", "Seoul at night", null));
            release.countDown();

            assertThat(ready(second.get(10, java.util.concurrent.TimeUnit.SECONDS)).getSha256())
                    .isEqualTo(ready(first.get(10, java.util.concurrent.TimeUnit.SECONDS)).getSha256());
            assertThat(calls).hasValue(1);
            assertThat(simulator.billed(OpenAiSimulator.Endpoint.IMAGES, "img-joined")).isEqualTo(1);
            // After the call, a third delivery is answered from the store.
            assertThat(ready(stage.process(prompt("img-joined", "Seoul at night", null)).get(10, java.util.concurrent.TimeUnit.SECONDS))
                    .getImageUsage()).as("no usage: no call").isNull();
            assertThat(calls).hasValue(1);
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    void transientFailuresAreRetriedByTheGuardAndAnExhaustedBudgetFailsAsRetriableWithItsAttempts() throws IOException {
        simulator.settings(SimulatorSettings.instant().withFaults(503, 1.0));
        try {
            var retry = new RetryPolicy(new RetryConfig(3, Duration.ofMillis(1),
                    Duration.ofMillis(5), Duration.ofSeconds(10), 0.5), ERRORS,
                    Time.SYSTEM, RandomGenerator.getDefault(),
                    RetryPolicy.Listener.NONE);
            var limiter = RateLimiter.unlimited("images", Time.SYSTEM);
            Guard guard = new Guard(retry, StageGate.withoutFreeProbe("IMAGE", new SimpleMeterRegistry()), ERRORS);
            ImageGenerator images = new OpenAiImageGenerator(client, "gpt-image-2.6-flare", Duration.ofSeconds(10));
            ImageGenerator guarded = (requestId, prompt, size, quality) -> guard.call(limiter,
                    () -> images.generate(requestId, prompt, size, quality));
            ImageStage stage = new ImageStage(guarded, "gpt-image-2.6-flare", new FileSystemImageStore(dir), ImageLinks.under("http://x"),
                    Runnable::run, Clock.systemUTC(), ERRORS, new ImageSize(1024, 1024), "medium");

            Failure failure = failure(stage.process(prompt("img-down", "Quito", null)).join());
            assertThat(failure.code()).isEqualTo(ErrorCodes.UPSTREAM_5XX);
            assertThat(failure.retriable()).isTrue();
            assertThat(failure.attempts()).isEqualTo(3);
            assertThat(simulator.calls(OpenAiSimulator.Endpoint.IMAGES, "img-down")).isEqualTo(3);
            assertThat(simulator.billed(OpenAiSimulator.Endpoint.IMAGES, "img-down")).isZero();
        } finally {
            simulator.settings(SimulatorSettings.instant());
        }
    }

    @Test
    void downloadsUrlAnswersAtOnceAndKeepsTheRevisedPrompt() throws IOException {
        simulator.models().shutDownOn("dall-e-3", null); // OpenAI shut it down in May 2026; a compatible provider may still serve it
        ImageReady ready = ready(stage("dall-e-3").process(prompt("img-url", "Kyoto in autumn rain", "1024x1024")).join());

        assertThat(ready.getRevisedPrompt()).startsWith("Kyoto in autumn rain");
        assertThat(FileSystemImageStore.sha256(Files.readAllBytes(dir.resolve("img-url.png")))).isEqualTo(ready.getSha256());
    }

    @Test
    void aRefusedPromptIsAContentPolicyFailureAndStoresNothing() throws IOException {
        Failure failure = failure(stage("gpt-image-2.6-flare")
                .process(prompt("img-refused", "something " + SimulatorSettings.DEFAULT_REFUSAL_MARKER, null)).join());

        assertThat(failure.code()).isEqualTo(ErrorCodes.CONTENT_POLICY);
        assertThat(failure.retriable()).isFalse();
        assertThat(dir.resolve("img-refused.png")).doesNotExist();
    }

    @Test
    void webpAnswersAreStoredAndServedAsWebpWithTheirSizeAndTheRequestsQualityIsSent() throws IOException {
        ImageStage stage = new ImageStage(new OpenAiImageGenerator(client, "gpt-image-2.6-flare", "webp", Optional.of(80),
                Duration.ofSeconds(10), ImageMemory.UNBOUNDED), "gpt-image-2.6-flare", new FileSystemImageStore(dir), ImageLinks.under("http://images.example/images"),
                Runnable::run, Clock.systemUTC(), ERRORS, new ImageSize(1024, 1024), "medium");
        PromptCreated input = prompt("img-webp", "Marrakech souk at dusk", "256x128");
        input.getRequest().setQuality("high");

        ImageReady ready = ready(stage.process(input).join());

        assertThat(ready.getContentType()).isEqualTo("image/webp");
        assertThat(ready.getImageUrl()).isEqualTo("http://images.example/images/img-webp.webp");
        assertThat(ready.getWidth()).isEqualTo(256);
        assertThat(ready.getHeight()).isEqualTo(128);
        // TwelveMonkeys' pure-Java decoder takes about 35 µs a pixel on this single-colour image: a small size keeps it short.
        var decoded = javax.imageio.ImageIO.read(dir.resolve("img-webp.webp").toFile());
        assertThat(decoded.getWidth()).as("a WebP decoder reads every pixel").isEqualTo(256);
        assertThat(decoded.getHeight()).isEqualTo(128);
        var sent = simulator.recentExchanges().stream().filter(e -> e.request() != null
                && "Marrakech souk at dusk".equals(e.request().path("prompt").asText())).findFirst().orElseThrow().request();
        assertThat(sent.path("quality").asText()).isEqualTo("high");
        assertThat(sent.path("output_format").asText()).isEqualTo("webp");
        assertThat(sent.path("output_compression").asInt()).isEqualTo(80);
        // high quality bills more output tokens than medium
        assertThat(ready.getImageUsage().getOutputTokens()).isEqualTo(Math.round(4160 * (256.0 * 128 / (1024 * 1024))));
    }

    @Test
    void aSizeOrQualityTheModelDoesNotTakeFailsWithoutACall() throws IOException {
        PromptCreated xhigh = prompt("img-xhigh", "Paris", null);
        xhigh.getRequest().setQuality("xhigh");
        Failure failure = failure(stage("gpt-image-1.5").process(xhigh).join());
        assertThat(failure.code()).isEqualTo(ErrorCodes.INVALID_INPUT);
        assertThat(failure.message()).isEqualTo("quality 'xhigh' needs gpt-image-2.6; gpt-image-1.5 takes low, medium, high or auto");
        assertThat(failure(stage("gpt-image-2.6-flare").process(prompt("img-odd", "Paris", "1000x1000")).join()).code())
                .isEqualTo(ErrorCodes.INVALID_INPUT);
        assertThat(simulator.calls(OpenAiSimulator.Endpoint.IMAGES, "img-xhigh")).isZero();
        assertThat(simulator.calls(OpenAiSimulator.Endpoint.IMAGES, "img-odd")).isZero();
    }

    @Test
    void aBadSizeFailsAsInvalidInputWithoutACall() throws IOException {
        Failure failure = failure(stage("gpt-image-2.6-flare").process(prompt("img-size", "Paris", "huge")).join());

        assertThat(failure.code()).isEqualTo(ErrorCodes.INVALID_INPUT);
        assertThat(failure.message()).contains("huge");
        assertThat(simulator.calls(OpenAiSimulator.Endpoint.IMAGES, "img-size")).isZero();
    }

    @Test
    void bytesThatAreNotAnImageAreAnInvalidAnswer() throws IOException {
        ImageGenerator broken = (id, prompt, size, quality) -> new GeneratedImage("<html>oops</html>".getBytes(), null, "m", null);
        ImageStage stage = new ImageStage(broken, "gpt-image-2.6-flare", new FileSystemImageStore(dir), ImageLinks.under("http://x"), Runnable::run, Clock.systemUTC(), ERRORS,
                new ImageSize(1024, 1024), "medium");

        assertThat(failure(stage.process(prompt("img-bad", "Paris", null)).join()).code()).isEqualTo(ErrorCodes.INVALID_ANSWER);
    }

    /** A stage on the simulator whose store is tried up to {@code attempts} times, a few milliseconds apart. */
    private ImageStage stageRetrying(ImageStore store, int attempts) {
        var retry = new RetryPolicy(new RetryConfig(attempts, Duration.ofMillis(5), Duration.ofMillis(20), Duration.ofSeconds(10), 0),
                RetryingImageStore.ERRORS, Time.SYSTEM, RandomGenerator.getDefault(), RetryPolicy.Listener.NONE);
        String model = "gpt-image-2.6-flare";
        return new ImageStage(new OpenAiImageGenerator(client, model, Duration.ofSeconds(10)), model,
                new RetryingImageStore(store, retry), ImageLinks.under("http://x"), Runnable::run, Clock.systemUTC(), ERRORS,
                new ImageSize(1024, 1024), "medium");
    }

    @Test
    void aStoreThatFailsAfterTheImageWasPaidForIsWrittenAgainFromTheBytesHeldNotBoughtAgain() throws IOException {
        FileSystemImageStore files = new FileSystemImageStore(dir);
        AtomicInteger putsLeftToFail = new AtomicInteger(2);
        List<String> attempts = new CopyOnWriteArrayList<>();
        ImageStore flaky = new ImageStore() {
            @Override
            public StoredImage put(String requestId, byte[] bytes, ImageFormat format) throws IOException {
                attempts.add("put");
                if (putsLeftToFail.getAndDecrement() > 0) {
                    throw new IOException("PUT s3://bucket/images/" + requestId + " failed: Connection refused");
                }
                return files.put(requestId, bytes, format);
            }

            @Override
            public Optional<StoredImage> find(String requestId) throws IOException {
                return files.find(requestId);
            }
        };
        ImageStage stage = stageRetrying(flaky, 5);

        ImageReady ready = ready(stage.process(prompt("img-flaky", "Lisbon tram at dusk", null)).join());

        assertThat(attempts).containsExactly("put", "put", "put");
        assertThat(simulator.billed(OpenAiSimulator.Endpoint.IMAGES, "img-flaky")).isEqualTo(1);
        assertThat(FileSystemImageStore.sha256(Files.readAllBytes(dir.resolve("img-flaky.png")))).isEqualTo(ready.getSha256());
    }

    @Test
    void aStoreAwayBeyondTheBudgetFailsRetriablyAsStorage() throws IOException {
        ImageStore away = new ImageStore() {
            @Override
            public StoredImage put(String requestId, byte[] bytes, ImageFormat format) throws IOException {
                throw new IOException("PUT s3://bucket/images/" + requestId + " failed: Connection refused");
            }

            @Override
            public Optional<StoredImage> find(String requestId) {
                return Optional.empty();
            }
        };
        ImageStage stage = stageRetrying(away, 3);

        Failure failure = failure(stage.process(prompt("img-away", "Porto", null)).join());

        assertThat(failure.code()).isEqualTo(ErrorCodes.STORAGE);
        assertThat(failure.retriable()).isTrue();
        assertThat(failure.attempts()).isEqualTo(3);
        assertThat(failure.message()).contains("Connection refused");
    }
}
