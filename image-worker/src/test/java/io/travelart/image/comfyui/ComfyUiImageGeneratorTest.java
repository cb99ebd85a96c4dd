package io.travelart.image.comfyui;

import io.travelart.core.failure.ErrorCodes;
import io.travelart.core.failure.Failure;
import io.travelart.core.time.Time;
import io.travelart.devstack.comfyui.ComfyUiSimulator;
import io.travelart.image.GeneratedImage;
import io.travelart.image.ImageSize;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/** The ComfyUI backend against the ComfyUI simulator: a real HTTP server with ComfyUI's routes and answers. */
class ComfyUiImageGeneratorTest {

    private static final ImageSize SIZE = new ImageSize(768, 512);

    private ComfyUiSimulator server;

    @BeforeEach
    void start() {
        server = ComfyUiSimulator.start(ComfyUiSimulator.Settings.defaults().withJobTime(Duration.ofMillis(150)));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private ComfyUiImageGenerator generator(Optional<Long> fixedSeed) {
        ComfyUiConfig config = new ComfyUiConfig(URI.create(server.baseUrl()), ComfyUiConfig.builtIn(), "blurry",
                Duration.ofMillis(20), Duration.ofSeconds(30), Duration.ofSeconds(5), fixedSeed);
        return new ComfyUiImageGenerator(new ComfyUiClient(config.url(), config.callTimeout()), config, "sd_xl_base_1.0",
                "travelart-test", Time.SYSTEM);
    }

    @Test
    void drawsTheRequestedSizeWithTheRequestsSeedAndSaysHowLongTheGpuRan() throws Exception {
        String id = UUID.randomUUID().toString();

        GeneratedImage image = generator(Optional.empty()).generate(id, "Kyoto in autumn rain", SIZE, "high");

        var png = ImageIO.read(new ByteArrayInputStream(image.bytes()));
        assertThat(png.getWidth()).isEqualTo(768);
        assertThat(png.getHeight()).isEqualTo(512);
        assertThat(image.model()).isEqualTo("sd_xl_base_1.0");
        assertThat(image.usage()).isNull();
        assertThat(image.seed()).isEqualTo(ComfyUiImageGenerator.seed(id, Optional.empty()));
        assertThat(image.computeMs()).isBetween(150L, 5_000L);
        assertThat(server.queued(id)).isEqualTo(1);
        assertThat(server.drawn(id)).isEqualTo(1);

        // Another request with the same prompt gets another seed, so another picture; a fixed seed is the same for all.
        String other = UUID.randomUUID().toString();
        GeneratedImage second = generator(Optional.empty()).generate(other, "Kyoto in autumn rain", SIZE, "high");
        assertThat(second.seed()).isNotEqualTo(image.seed());
        assertThat(second.bytes()).isNotEqualTo(image.bytes());
        assertThat(generator(Optional.of(42L)).generate(UUID.randomUUID().toString(), "Oslo", SIZE, null).seed()).isEqualTo(42L);
    }

    @Test
    void aRequestDrawnAlreadyIsFetchedAndNotQueuedAgain() {
        String id = UUID.randomUUID().toString();
        GeneratedImage first = generator(Optional.empty()).generate(id, "Lisbon tram at dusk", SIZE, null);

        // A worker restarted after the job but before storing the image: a new generator, the same request.
        GeneratedImage again = generator(Optional.empty()).generate(id, "Lisbon tram at dusk", SIZE, null);

        assertThat(again.bytes()).isEqualTo(first.bytes());
        assertThat(server.queued(id)).isEqualTo(1);
        assertThat(server.drawn(id)).isEqualTo(1);
    }

    @Test
    void aRequestWhoseJobIsStillQueuedFollowsThatJob() throws Exception {
        server.settings(server.settingsNow().withJobTime(Duration.ofMillis(600)));
        String blocker = UUID.randomUUID().toString();
        String id = UUID.randomUUID().toString();
        CompletableFuture<GeneratedImage> running = CompletableFuture.supplyAsync(() -> generator(Optional.empty()).generate(blocker, "first", SIZE, null));
        CompletableFuture<GeneratedImage> queued = CompletableFuture.supplyAsync(() -> generator(Optional.empty()).generate(id, "second", SIZE, null));
        await().atMost(Duration.ofSeconds(10)).until(() -> server.queued(id) == 1);

        // The worker that queued it is gone (its thread still waits here); a restarted one asks for the same request.
        GeneratedImage found = generator(Optional.empty()).generate(id, "second", SIZE, null);

        assertThat(found.bytes()).isEqualTo(queued.get(10, TimeUnit.SECONDS).bytes());
        running.get(10, TimeUnit.SECONDS);
        assertThat(server.queued(id)).isEqualTo(1);
        assertThat(server.drawn(id)).isEqualTo(1);
    }

    @Test
    void aJobThatEndsBetweenTheHistoryReadAndTheQueueReadIsFetchedNotQueuedAgain() throws Exception {
        server.settings(server.settingsNow().withJobTime(Duration.ofMillis(300)));
        String id = UUID.randomUUID().toString();
        CompletableFuture<GeneratedImage> first = CompletableFuture.supplyAsync(() -> generator(Optional.empty()).generate(id, "Bruges", SIZE, null));
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(5)).until(() -> server.queued(id) == 1);

        // A restarted worker finds no history yet (the job runs), and the job ends before its queue read is answered.
        server.beforeNextQueueRead(() -> await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(5))
                .until(() -> server.drawn(id) == 1));
        GeneratedImage found = generator(Optional.empty()).generate(id, "Bruges", SIZE, null);

        assertThat(found.bytes()).isEqualTo(first.get(10, TimeUnit.SECONDS).bytes());
        assertThat(server.queued(id)).as("jobs queued").isEqualTo(1);
        assertThat(server.drawn(id)).isEqualTo(1);
    }

    @Test
    void aModelFileTheServerLacksIsTheWorkersFailureSoTheStagePauses() {
        server.settings(server.settingsNow().withModels(Set.of("flux1-dev.safetensors")));

        Failure failure = failure(() -> generator(Optional.empty()).generate(UUID.randomUUID().toString(), "Oslo", SIZE, null));

        assertThat(failure.code()).isEqualTo(ErrorCodes.MODEL_UNAVAILABLE);
        assertThat(ErrorCodes.belongsToWorker(failure.code())).isTrue();
        assertThat(failure.message()).contains("node 4 (CheckpointLoaderSimple)").contains("ckpt_name: 'sd_xl_base_1.0.safetensors' not in");
    }

    @Test
    void aNodeThatFailsIsPermanentUnlessOutOfMemoryAndTheNextAttemptQueuesAgain() {
        String id = UUID.randomUUID().toString();
        server.failNextJobs(1, "torch.OutOfMemoryError");
        Failure oom = failure(() -> generator(Optional.empty()).generate(id, "Oslo", SIZE, null));
        assertThat(oom.code()).isEqualTo(ErrorCodes.UPSTREAM_5XX);
        assertThat(oom.retriable()).isTrue();
        assertThat(oom.message()).contains("failed in node 3 (KSampler)").contains("out of memory");

        // The retry: the failed job's history entry goes and the job is queued again under the same id.
        GeneratedImage image = generator(Optional.empty()).generate(id, "Oslo", SIZE, null);
        assertThat(image.bytes()).isNotEmpty();
        assertThat(server.queued(id)).isEqualTo(2);
        assertThat(server.drawn(id)).isEqualTo(1);

        server.failNextJobs(1, "ValueError");
        Failure bug = failure(() -> generator(Optional.empty()).generate(UUID.randomUUID().toString(), "Oslo", SIZE, null));
        assertThat(bug.code()).isEqualTo(ErrorCodes.UPSTREAM_5XX);
        assertThat(bug.retriable()).isFalse();
    }

    @Test
    void aServerRestartLosesTheJobWhichIsARetriableFailureAndTheNextAttemptDrawsIt() throws Exception {
        server.settings(server.settingsNow().withJobTime(Duration.ofSeconds(2)));
        String id = UUID.randomUUID().toString();
        CompletableFuture<GeneratedImage> call = CompletableFuture.supplyAsync(() -> generator(Optional.empty()).generate(id, "Oslo", SIZE, null));
        await().atMost(Duration.ofSeconds(10)).until(() -> server.queued(id) == 1);

        server.restart(Duration.ofMillis(300));
        Failure lost = failure(() -> call.join());

        assertThat(lost.code()).isIn(ErrorCodes.JOB_LOST, ErrorCodes.NETWORK);
        assertThat(lost.retriable()).isTrue();
        server.settings(server.settingsNow().withJobTime(Duration.ofMillis(100)));
        assertThat(generator(Optional.empty()).generate(id, "Oslo", SIZE, null).bytes()).isNotEmpty();
        assertThat(server.drawn(id)).isEqualTo(1);
    }

    @Test
    void aJobDeletedFromTheServersQueueIsLostRetriably() throws Exception {
        server.settings(server.settingsNow().withJobTime(Duration.ofSeconds(3)));
        String blocker = UUID.randomUUID().toString();
        String id = UUID.randomUUID().toString();
        CompletableFuture.runAsync(() -> generator(Optional.empty()).generate(blocker, "first", SIZE, null));
        await().atMost(Duration.ofSeconds(10)).until(() -> server.queued(blocker) == 1);
        CompletableFuture<GeneratedImage> call = CompletableFuture.supplyAsync(() -> generator(Optional.empty()).generate(id, "second", SIZE, null));
        await().atMost(Duration.ofSeconds(10)).until(() -> server.queued(id) == 1);

        new ComfyUiClient(URI.create(server.baseUrl()), Duration.ofSeconds(5)).cancel(ComfyUiImageGenerator.promptId(id));
        Failure lost = failure(call::join);

        assertThat(lost.code()).isEqualTo(ErrorCodes.JOB_LOST);
        assertThat(lost.retriable()).isTrue();
        assertThat(lost.message()).contains("is neither queued nor in the history");
    }

    @Test
    void aSizeBeyondWhatTheNodeTakesIsInvalidInputAndAnUnreachableServerIsANetworkFailure() {
        Failure tooBig = failure(() -> generator(Optional.empty()).generate(UUID.randomUUID().toString(), "Oslo", new ImageSize(16392, 512), null));
        assertThat(tooBig.code()).isEqualTo(ErrorCodes.INVALID_INPUT);
        assertThat(tooBig.retriable()).isFalse();

        server.close();
        Failure down = failure(() -> generator(Optional.empty()).generate(UUID.randomUUID().toString(), "Oslo", SIZE, null));
        assertThat(down.code()).isEqualTo(ErrorCodes.NETWORK);
        assertThat(down.retriable()).isTrue();
        server = ComfyUiSimulator.start(ComfyUiSimulator.Settings.defaults());
    }

    private static Failure failure(Runnable call) {
        Throwable thrown = catchThrowableOfType(call::run, RuntimeException.class);
        assertThat(thrown).as("the call should have failed").isNotNull();
        Throwable cause = thrown instanceof java.util.concurrent.CompletionException && thrown.getCause() != null ? thrown.getCause() : thrown;
        assertThat(cause).isInstanceOf(ComfyUiException.class);
        return ((ComfyUiException) cause).failure();
    }
}
