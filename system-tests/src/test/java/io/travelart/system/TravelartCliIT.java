package io.travelart.system;

import io.travelart.cli.DevCommand;
import io.travelart.cli.local.LocalPipeline;
import io.travelart.core.config.RegistryConfig;
import io.travelart.core.registry.SchemaRegistryClient;
import io.travelart.core.results.RequestResult;
import io.travelart.core.results.ResultWatcher;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The travelart command as a user runs it, against the shared local pipeline. */
class TravelartCliIT {

    private final LocalPipeline pipeline = SharedPipeline.get();

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    private String[] connection(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--bootstrap-servers", pipeline.stack().bootstrapServers(), "--registry-url", pipeline.stack().registryUrl()));
        return all.toArray(String[]::new);
    }

    @Test
    void topicsCreateReportsTheExistingTopics() {
        CliRun run = run(connection("topics", "create", "--partitions", "3"));

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.lines()).hasSize(8);
        assertThat(run.lines().subList(0, 5)).containsExactly(
                "keyword-requested    exists   3 partitions",
                "prompt-created       exists   3 partitions",
                "image-ready          exists   3 partitions",
                "request-failed       exists   3 partitions",
                "request-cancelled    exists   3 partitions");
        // The webhook-worker's topics: made by the first run of the command on this cluster.
        assertThat(run.lines().subList(5, 8)).satisfiesExactly(
                line -> assertThat(line).matches("webhook-delivered +(created|exists) +3 partitions"),
                line -> assertThat(line).matches("webhook-failed +(created|exists) +3 partitions"),
                line -> assertThat(line).matches("webhook-redeliver +(created|exists) +3 partitions"));
        CliRun again = run(connection("topics", "create", "--partitions", "3"));
        assertThat(again.lines()).allSatisfy(line -> assertThat(line).contains(" exists "));
    }

    @Test
    void schemasRegisterRegistersTheFiveSubjectsTheBatchLanesAndTheWebhookWorkersWithBackwardCompatibility() {
        CliRun run = run(connection("schemas", "register"));

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.lines()).hasSize(9);
        assertThat(run.lines().get(7)).startsWith("webhook-delivered-value");
        assertThat(run.lines().get(8)).startsWith("webhook-failed-value");
        assertThat(run.lines().get(1)).startsWith("keyword-requested-value");
        assertThat(run.lines().get(4)).startsWith("request-failed-value");
        assertThat(run.lines().get(5)).startsWith("request-cancelled-value");
        // The image stage writes batch requests there, as prompt-created events.
        assertThat(run.lines().get(6)).startsWith("image-batch-pending-value");
        var registry = new SchemaRegistryClient(RegistryConfig.of(pipeline.stack().registryUrl()));
        assertThat(registry.compatibility("image-ready-value")).isEqualTo("BACKWARD");
        assertThat(registry.versions("prompt-created-value")).containsExactly(1);
    }

    @Test
    void publishPrintsRequestIdsThatTheWorkersComplete() {
        Set<String> done = new HashSet<>();
        try (ResultWatcher watcher = pipeline.watcher(false)) {
            CliRun run = run(connection("publish", "--keyword", "Lisbon trams at dusk", "--style", "gouache", "--count", "3"));

            assertThat(run.exitCode()).as(run.err()).isZero();
            List<String> ids = run.lines();
            assertThat(ids).hasSize(3).allMatch(id -> id.matches("[0-9a-f-]{36}"));
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(10)).pollInSameThread().until(() -> {
                for (RequestResult result : watcher.poll(Duration.ofMillis(200))) {
                    if (result instanceof RequestResult.Ready ready && ids.contains(ready.requestId())) {
                        assertThat(ready.event().getPrompt()).contains("Lisbon trams at dusk").contains("gouache");
                        done.add(ready.requestId());
                    }
                }
                return done.containsAll(ids);
            });
            assertThat(done).containsExactlyInAnyOrderElementsOf(ids);
        }
    }

    @Test
    void statusTellsWhereARequestIsFromItsEvents() throws Exception {
        CliRun published = run(connection("publish", "--keyword", "Valletta harbour at dawn", "--count", "2"));
        assertThat(published.exitCode()).as(published.err()).isZero();
        List<String> ids = published.lines();
        CliRun blank = run(connection("publish", "--keyword", " "));
        String failedId = blank.lines().get(0);
        Set<String> ended = new HashSet<>();
        try (ResultWatcher watcher = pipeline.watcher(true)) {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(10)).pollInSameThread().until(() -> {
                watcher.poll(Duration.ofMillis(200)).forEach(r -> ended.add(r.requestId()));
                return ended.containsAll(ids) && ended.contains(failedId);
            });
        }

        CliRun ready = run(connection("status", ids.get(0)));
        assertThat(ready.exitCode()).as(ready.err()).isZero();
        assertThat(ready.lines().get(0)).isEqualTo("Valletta harbour at dawn  [" + ids.get(0) + "]  from travelart-cli");
        assertThat(ready.lines().get(1)).isEqualTo("  state:  ready");
        assertThat(ready.out()).contains(" asked for").contains(" prompt written").contains("  image:  http")
                .containsPattern("cost:   \\$0\\.0[0-9]{3} estimated\\n");

        JsonNode json = new ObjectMapper().readTree(run(connection("status", ids.get(1), "--json")).out());
        assertThat(json.path("state").asText()).isEqualTo("READY");
        assertThat(json.path("final").asBoolean()).isTrue();
        assertThat(json.path("steps")).hasSize(3);
        assertThat(json.path("costUsd").asDouble()).isPositive();
        assertThat(json.path("imageUrl").asText()).endsWith(ids.get(1) + ".png");

        JsonNode failed = new ObjectMapper().readTree(run(connection("status", failedId, "--json")).out());
        assertThat(failed.path("state").asText()).isEqualTo("FAILED");
        assertThat(failed.path("failure").path("errorCode").asText()).isEqualTo("INVALID_INPUT");
        assertThat(failed.path("costUsd").asDouble()).as("refused before any paid call").isZero();

        CliRun unknown = run(connection("status", "no-such-request"));
        assertThat(unknown.exitCode()).isEqualTo(1);
        assertThat(unknown.err()).startsWith("travelart: no event of request no-such-request since ");
        CliRun badSince = run(connection("status", ids.get(0), "--since", "yesterday"));
        assertThat(badSince.exitCode()).isEqualTo(2);
    }

    @Test
    void watchPrintsJsonLinesAndTableRows() throws Exception {
        run(connection("publish", "--keyword", "Hoi An lanterns"));

        CliRun json = run(connection("watch", "--json", "--from-beginning", "--max", "1"));
        assertThat(json.exitCode()).as(json.err()).isZero();
        JsonNode event = new ObjectMapper().readTree(json.lines().get(0));
        assertThat(event.fieldNames()).toIterable()
                .containsExactlyInAnyOrder("requestId", "keyword", "status", "prompt", "imageUrl", "imageFile", "errorCode",
                        "promptModel", "imageModel", "estimatedCostUsd", "lane", "seed");
        assertThat(event.get("status").asText()).isIn("ready", "failed");
        if (event.get("status").asText().equals("ready")) {
            assertThat(event.get("imageModel").asText()).isEqualTo("gpt-image-2.6-flare");
            assertThat(event.get("estimatedCostUsd").asDouble()).isPositive();
        }

        CliRun table = run(connection("watch", "--from-beginning", "--max", "1"));
        assertThat(table.lines().get(0)).startsWith("TIME").contains("STATUS").contains("REQUEST ID");
        assertThat(table.lines()).hasSize(2);
    }

    @Test
    void modelsSaysWhatTheProviderServesAndExitsOneWhenAModelIsGone(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        var simulator = pipeline.stack().simulator().orElseThrow();
        java.nio.file.Files.writeString(dir.resolve("dev.env"), "OPENAI_BASE_URL=" + simulator.baseUrl() + "\nOPENAI_API_KEY=sk-test\n");
        CliRun served = run("models", "--data-dir", dir.toString());
        assertThat(served.exitCode()).as(served.err()).isZero();
        assertThat(served.lines().get(0)).startsWith("SETTING").contains("DAYS LEFT");
        assertThat(served.out()).contains("TRAVELART_IMAGE_MODEL       gpt-image-2.6-flare      served")
                .contains("TRAVELART_CHAT_MODEL        gpt-5.4-mini             served")
                .contains("TRAVELART_MODERATION_MODEL  omni-moderation-latest   served");

        java.time.LocalDate in20 = java.time.LocalDate.now(java.time.ZoneOffset.UTC).plusDays(20);
        simulator.models().shutDownOn("gpt-5.4-mini", in20);
        try {
            CliRun json = run("models", "--json", "--data-dir", dir.toString());
            assertThat(json.exitCode()).isZero();
            JsonNode chat = new ObjectMapper().readTree(json.lines().get(0));
            assertThat(chat.get("model").asText()).isEqualTo("gpt-5.4-mini");
            assertThat(chat.get("state").asText()).isEqualTo("shutting_down");
            assertThat(chat.get("shutdownDate").asText()).isEqualTo(in20.toString());
            assertThat(chat.get("daysLeft").asLong()).isEqualTo(20);

            simulator.models().shutDownOn("gpt-5.4-mini", java.time.LocalDate.now(java.time.ZoneOffset.UTC));
            CliRun gone = run("models", "--data-dir", dir.toString());
            assertThat(gone.exitCode()).isEqualTo(1);
            assertThat(gone.out()).contains("TRAVELART_CHAT_MODEL=gpt-5.4-mini is not served by the provider (HTTP 404 model_not_found)");
        } finally {
            simulator.models().shutDownOn("gpt-5.4-mini", null);
        }
    }

    @Test
    void devUpRegistersTheContractSoAClientInAnyLanguageFindsTheLatestSchema(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        try (var stack = DevCommand.Up.bringUp(dir, 1, new PrintWriter(new StringWriter()))) {
            // What kafkajs' Confluent schema-registry client asks first: GET /subjects/keyword-requested-value/versions/latest
            var registry = new io.travelart.core.registry.SchemaRegistryClient(
                    io.travelart.core.config.RegistryConfig.from(io.travelart.core.config.Settings.of(stack.environment())));
            var latest = registry.version("keyword-requested-value", "latest");
            assertThat(latest.schema()).isEqualTo(io.travelart.events.KeywordRequested.getClassSchema());
            assertThat(registry.compatibility("keyword-requested-value")).isEqualTo("BACKWARD");
            assertThat(registry.version("image-ready-value", "latest").schema()).isEqualTo(io.travelart.events.ImageReady.getClassSchema());
            assertThat(dir.resolve("dev.env")).exists();
        }
    }

    @Test
    void publishRefusesAnUnknownQualityInOneLine() {
        CliRun run = run(connection("publish", "--keyword", "Oslo", "--quality", "ultra"));
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("--quality 'ultra' is not one of low, medium, high, xhigh, max, auto");
    }

    @Test
    void failedListsShowsAndFiltersFailedRequests() throws Exception {
        CliRun published = run(connection("publish", "--keyword", "   ", "--source", "cli-failed-test"));
        assertThat(published.exitCode()).as(published.err()).isZero();
        String id = published.lines().get(0);

        // The worker answers the blank keyword with one request-failed; wait until the list has it.
        List<String> lines = new ArrayList<>();
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            lines.clear();
            lines.addAll(run(connection("failed", "--json", "--request-id", id)).lines());
            return !lines.isEmpty();
        });
        assertThat(lines).hasSize(1);
        var event = new com.fasterxml.jackson.databind.ObjectMapper().readTree(lines.get(0));
        assertThat(event.path("requestId").asText()).isEqualTo(id);
        assertThat(event.path("stage").asText()).isEqualTo("PROMPT");
        assertThat(event.path("errorCode").asText()).isEqualTo("INVALID_INPUT");
        assertThat(event.path("retriable").asBoolean()).isFalse();
        assertThat(event.path("attempts").asInt()).isEqualTo(1);
        assertThat(event.path("originTopic").asText()).isEqualTo("keyword-requested");

        CliRun table = run(connection("failed", "--stage", "prompt", "--code", "INVALID_INPUT", "--since", "1h"));
        assertThat(table.exitCode()).as(table.err()).isZero();
        assertThat(table.lines().get(0)).startsWith("STAGE").contains("COUNT").contains("LAST FAILED");
        assertThat(table.lines()).anyMatch(l -> l.matches("PROMPT\\s+INVALID_INPUT\\s+\\d+\\s+.*"));
        assertThat(run(connection("failed", "--code", "INVALID_INPUT", "--until", "2000-01-01T00:00:00Z")).out())
                .contains("0 failed request(s)");

        CliRun show = run(connection("failed", "show", id));
        assertThat(show.exitCode()).as(show.err()).isZero();
        assertThat(show.out()).contains("errorCode:          INVALID_INPUT").contains("originalKey:        " + id)
                .contains("message:            keyword is blank");

        CliRun missing = run(connection("failed", "show", "no-such-request"));
        assertThat(missing.exitCode()).isEqualTo(1);
        assertThat(missing.err().strip()).isEqualTo("travelart: no failed request with id no-such-request");

        CliRun badTime = run(connection("failed", "--since", "yesterday-ish"));
        assertThat(badTime.exitCode()).isEqualTo(2);
        assertThat(badTime.err()).contains("--since 'yesterday-ish' is neither an instant");
    }

    @Test
    void replayRepublishesTheOriginalRecordCountsReplaysAndRefusesPastTheMaximum() throws Exception {
        CliRun published = run(connection("publish", "--keyword", "   ", "--source", "cli-replay-test"));
        assertThat(published.exitCode()).as(published.err()).isZero();
        String id = published.lines().get(0);
        await().atMost(Duration.ofSeconds(60)).until(() -> !run(connection("failed", "--json", "--request-id", id)).lines().isEmpty());

        // A blank keyword is not retriable: replay leaves it unless told, and a dry run publishes nothing.
        CliRun left = run(connection("replay", "--request-id", id));
        assertThat(left.exitCode()).as(left.err()).isZero();
        assertThat(left.lines()).anySatisfy(l -> assertThat(l).startsWith(id).contains("skipped: not retriable"));
        assertThat(left.out()).contains("replayed 0 of 1 failed request(s): 0 already ready, 0 pending, 1 permanent");
        CliRun dry = run(connection("replay", "--request-id", id, "--include-permanent", "--dry-run"));
        assertThat(dry.out()).contains("would replay to keyword-requested (replay 1 of at most 3)").contains("would replay 1 of 1");

        CliRun replayed = run(connection("replay", "--request-id", id, "--include-permanent", "--max-replays", "1"));
        assertThat(replayed.exitCode()).as(replayed.err()).isZero();
        assertThat(replayed.out()).contains("replayed to keyword-requested (replay 1 of at most 1)").contains("replayed 1 of 1");

        // The prompt-worker reads the replayed record and fails it again: a second failure, whose original headers count the replay.
        List<JsonNode> shown = new ArrayList<>();
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            shown.clear();
            for (String line : run(connection("failed", "show", id, "--json")).lines()) {
                shown.add(new ObjectMapper().readTree(line));
            }
            return shown.size() == 2;
        });
        assertThat(shown.get(0).path("originalHeaders").has(io.travelart.core.engine.EventHeaders.REPLAY_COUNT)).isFalse();
        assertThat(shown.get(1).path("originalHeaders").path(io.travelart.core.engine.EventHeaders.REPLAY_COUNT).asText()).isEqualTo("1");
        assertThat(shown.get(1).path("originalKey").asText()).isEqualTo(id);

        // Only the latest failure counts, and it has been replayed once: the maximum.
        CliRun refused = run(connection("replay", "--request-id", id, "--include-permanent", "--max-replays", "1", "--json"));
        assertThat(refused.exitCode()).as(refused.err()).isZero();
        JsonNode verdict = new ObjectMapper().readTree(refused.lines().get(0));
        assertThat(verdict.path("verdict").asText()).isEqualTo("AT_MAXIMUM");
        assertThat(verdict.path("replaysBefore").asInt()).isEqualTo(1);
        assertThat(refused.lines()).hasSize(2).last().asString().contains("replayed 0 of 1").contains("1 at the replay maximum (1)");

        CliRun badRate = run(connection("replay", "--rate", "0"));
        assertThat(badRate.exitCode()).isEqualTo(2);
        assertThat(badRate.err()).contains("--rate must be between 1 and 10000");
    }

    @Test
    void badArgumentsExitTwoWithOneLine() {
        CliRun noKeyword = run("publish");
        assertThat(noKeyword.exitCode()).isEqualTo(2);
        assertThat(noKeyword.err()).contains("Missing required option: '--keyword=<keyword>'");

        CliRun zero = run(connection("publish", "--keyword", "Rome", "--count", "0"));
        assertThat(zero.exitCode()).isEqualTo(2);
        assertThat(zero.err()).contains("--count must be at least 1");
    }

    @Test
    void anUnreachableRegistryExitsOneWithOneLine() {
        CliRun run = run("publish", "--keyword", "Rome", "--bootstrap-servers", pipeline.stack().bootstrapServers(),
                "--registry-url", "http://127.0.0.1:1");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err().strip()).startsWith("travelart: schema registry at http://127.0.0.1:1 cannot be reached")
                .doesNotContain("\n");
    }

    @Test
    void demoPrintsOneJsonObjectPerRequestWithAStoredImage(@TempDir Path dir) throws Exception {
        CliRun run = run("demo", "--simulator", "--json", "--data-dir", dir.toString(), "겨울밤의 파리", "   ");

        assertThat(run.exitCode()).as("a blank keyword fails, so the demo exits 1; err: %s", run.err()).isEqualTo(1);
        List<JsonNode> lines = new ArrayList<>();
        for (String line : run.lines()) {
            lines.add(new ObjectMapper().readTree(line));
        }
        assertThat(lines).hasSize(2);
        JsonNode paris = lines.stream().filter(l -> l.get("keyword").asText().equals("겨울밤의 파리")).findFirst().orElseThrow();
        assertThat(paris.get("status").asText()).isEqualTo("ready");
        assertThat(paris.get("prompt").asText()).contains("겨울밤의 파리");
        assertThat(paris.get("imageUrl").asText()).startsWith("http://127.0.0.1:").endsWith(".png");
        Path file = Path.of(paris.get("imageFile").asText());
        assertThat(file).startsWith(dir.toAbsolutePath()).exists();
        assertThat(javax.imageio.ImageIO.read(file.toFile()).getWidth()).isEqualTo(1024);

        JsonNode blank = lines.stream().filter(l -> l.get("status").asText().equals("failed")).findFirst().orElseThrow();
        assertThat(blank.get("errorCode").asText()).isEqualTo("INVALID_INPUT");
        assertThat(run.err()).contains("Using the built-in OpenAI simulator");
        assertThat(Files.list(dir.resolve("demo/images"))).hasSize(1);
    }

    @Test
    void demoDrawsWithStableDiffusionOnTheBuiltInComfyUiSimulator(@TempDir Path dir) throws Exception {
        CliRun run = run("demo", "--simulator", "--image-provider", "comfyui", "--json", "--data-dir", dir.toString(), "Kyoto in autumn rain");

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.err()).contains("image sd_xl_base_1.0 on the built-in ComfyUI simulator");
        JsonNode kyoto = new ObjectMapper().readTree(run.lines().get(0));
        assertThat(kyoto.get("status").asText()).isEqualTo("ready");
        assertThat(kyoto.get("imageModel").asText()).isEqualTo("sd_xl_base_1.0");
        assertThat(kyoto.get("seed").isIntegralNumber()).isTrue();
        // the chat call is priced; the self-hosted image costs nothing unless TRAVELART_PRICES says so
        assertThat(kyoto.get("estimatedCostUsd").asDouble()).isPositive().isLessThan(0.01);
        Path file = Path.of(kyoto.get("imageFile").asText());
        assertThat(javax.imageio.ImageIO.read(file.toFile()).getWidth()).isEqualTo(1024);

        CliRun bad = run("demo", "--image-provider", "midjourney");
        assertThat(bad.exitCode()).isEqualTo(2);
        assertThat(bad.err()).contains("--image-provider 'midjourney' is not one of openai, comfyui");
    }
}
