package io.travelart.system;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.travelart.cli.bench.WorkerProcess;
import io.travelart.devstack.process.Ports;
import io.travelart.devstack.openai.SimulatorSettings;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * ops/ checked against the running code: every metric the Grafana dashboard and the Prometheus alert rules query is
 * one that real worker processes serve at /metrics after a run that exercises them (retries, failures, a paused stage,
 * an announced model shutdown), and the rules pass promtool's check and their unit tests.
 */
class OperationsFilesIT {

    private static final Path OPS = Path.of("..", "ops");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    /** PromQL words that are not metric names: operators and keywords (functions are told by the bracket after them). */
    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring",
            "group_left", "group_right", "inf", "nan");
    private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");

    /** The metric names a PromQL expression reads; recording rules (with a colon) and Prometheus' own {@code up} aside. */
    static Set<String> metricNames(String expr) {
        String s = expr.replaceAll("\"(\\\\.|[^\"\\\\])*\"", "\"\"")
                .replaceAll("\\{[^}]*}", " ")
                .replaceAll("\\[[^]]*]", " ")
                .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ");
        Set<String> names = new TreeSet<>();
        Matcher m = NAME.matcher(s);
        while (m.find()) {
            String token = m.group();
            String after = s.substring(m.end()).stripLeading();
            if (KEYWORDS.contains(token) || after.startsWith("(") || token.contains(":") || token.equals("up")) {
                continue;
            }
            names.add(token);
        }
        return names;
    }

    @Test
    void metricNamesAreReadFromPromQl() {
        assertThat(metricNames("histogram_quantile(0.95, sum by (le, stage) (rate(travelart_api_call_duration_seconds_bucket{stage=\"IMAGE\"}[$__rate_interval])))"))
                .containsExactly("travelart_api_call_duration_seconds_bucket");
        assertThat(metricNames("sum(rate(a_total[1h])) * 3600 > scalar(x:budget) and on() b_gauge == 0 or up{job=\"w\"} == 0"))
                .containsExactly("a_total", "b_gauge");
    }

    /** Every PromQL expression of the dashboard's panels, by panel title. */
    static Map<String, List<String>> dashboardQueries() throws IOException {
        JsonNode dashboard = JSON.readTree(OPS.resolve("grafana/travelart.json").toFile());
        assertThat(dashboard.path("templating").path("list")).as("a datasource variable")
                .anySatisfy(v -> assertThat(v.path("type").asText()).isEqualTo("datasource"));
        Map<String, List<String>> queries = new TreeMap<>();
        for (JsonNode panel : dashboard.path("panels")) {
            if (panel.path("type").asText().equals("row")) {
                continue;
            }
            assertThat(panel.path("datasource").path("uid").asText()).as("panel %s uses the variable", panel.path("title"))
                    .isEqualTo("${datasource}");
            List<String> exprs = new ArrayList<>();
            panel.path("targets").forEach(t -> exprs.add(t.path("expr").asText()));
            assertThat(exprs).as("queries of %s", panel.path("title")).isNotEmpty().doesNotContain("");
            queries.put(panel.path("title").asText(), exprs);
        }
        return queries;
    }

    /** Every expression of the alert and recording rules, by rule name. */
    static Map<String, String> ruleExpressions() throws IOException {
        Map<String, String> exprs = new TreeMap<>();
        for (JsonNode group : YAML.readTree(OPS.resolve("prometheus/alerts.yml").toFile()).path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                exprs.put(rule.has("alert") ? rule.path("alert").asText() : rule.path("record").asText(), rule.path("expr").asText());
            }
        }
        return exprs;
    }

    @Test
    void everyMetricTheDashboardAndTheAlertsQueryIsServedByTheWorkers() throws Exception {
        Map<String, List<String>> panels = dashboardQueries();
        Map<String, String> rules = ruleExpressions();
        assertThat(panels.keySet()).contains("Throughput per stage", "Consumer lag per stage", "Calls in flight against max-in-flight",
                "API latency quantiles", "Retries by code", "Failures by code", "Stage paused, and why", "Rate limiter waiting",
                "Cost per hour", "Cost per image", "Model shutdown days", "Transactions", "JVM memory");
        assertThat(rules.keySet()).contains("TravelartLagGrowing", "TravelartNoProgress", "TravelartFailureRatioHigh", "TravelartStagePaused",
                "TravelartModelShutdownSoon", "TravelartCostBurnAboveBudget", "TravelartInstanceNotReady");

        Set<String> served;
        try (ProcessPipeline<?> pipeline = ProcessPipeline.start(SimulatorSettings.defaults().withLatency(Duration.ofMillis(20),
                Duration.ofMillis(50)).withReusedImages(true))) {
            // A shutdown announced for the image model: its days-left gauge appears.
            pipeline.simulator().models().shutDownOn("gpt-image-2.6-flare", LocalDate.now().plusDays(20));
            int[] ports = Ports.free(2);
            int promptPort = ports[0];
            int imagePort = ports[1];
            WorkerProcess prompt = pipeline.worker("prompt-worker", "dashboard", Map.of("TRAVELART_MANAGEMENT_PORT", Integer.toString(promptPort)));
            WorkerProcess image = pipeline.worker("image-worker", "dashboard", Map.of("TRAVELART_MANAGEMENT_PORT", Integer.toString(imagePort),
                    "TRAVELART_IMAGES_PER_MINUTE", "6000"));
            // Some 503s, so that calls are retried; a blank keyword, so that one request fails.
            pipeline.simulator().settings(pipeline.simulator().settings().withFaults(503, 0.3));
            List<String> ids = new ArrayList<>(pipeline.publish(12, "Tallinn old town"));
            String blank = pipeline.publishKeyword("   ");
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).until(() ->
                    pipeline.readyCounts().keySet().containsAll(ids) && !pipeline.failures(List.of(blank)).isEmpty());
            // The key revoked: the stage pauses (AUTH), and says so in its gauge.
            pipeline.simulator().settings(pipeline.simulator().settings().withFaults(0, 0));
            pipeline.simulator().revokeKey(true);
            pipeline.publish(1, "Riga at night");
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                    .until(() -> scrape(promptPort).contains("travelart_stage_paused{"));
            pipeline.simulator().revokeKey(false);
            served = new TreeSet<>(names(scrape(promptPort)));
            served.addAll(names(scrape(imagePort)));
            assertThat(image.stop()).isZero();
            assertThat(prompt.stop()).isZero();
        }

        List<String> missing = new ArrayList<>();
        panels.forEach((title, exprs) -> exprs.forEach(expr -> metricNames(expr).stream().filter(n -> !served.contains(n))
                .forEach(n -> missing.add("panel '" + title + "': " + n))));
        rules.forEach((rule, expr) -> metricNames(expr).stream().filter(n -> !served.contains(n))
                .forEach(n -> missing.add("rule " + rule + ": " + n)));
        System.out.printf("dashboard: %d panels, alerts: %d rules, %d metric names served by the workers; missing: %s%n",
                panels.size(), rules.size(), served.size(), missing);
        assertThat(missing).as("metrics queried that no worker serves").isEmpty();
    }

    @Test
    void theAlertRulesPassPromtoolsCheckAndTheirUnitTests() throws Exception {
        Assumptions.assumeTrue(onPath("promtool"), "promtool is not installed (Debian's prometheus package; .ci/run installs it): "
                + "the rules are not checked here");
        Path dir = OPS.resolve("prometheus");
        Run check = run(dir, "promtool", "check", "rules", "alerts.yml");
        assertThat(check.code()).as(check.output()).isZero();
        assertThat(check.output()).contains("SUCCESS");
        Run config = run(dir, "promtool", "check", "config", "prometheus.yml");
        assertThat(config.code()).as("the compose file's Prometheus loads the rules: %s", config.output()).isZero();
        Run tests = run(dir, "promtool", "test", "rules", "alerts.test.yml");
        assertThat(tests.code()).as(tests.output()).isZero();
        assertThat(tests.output()).contains("SUCCESS");
        // Every alert has a unit test, a summary, a description that says what to do, and a runbook section.
        JsonNode unitTests = YAML.readTree(dir.resolve("alerts.test.yml").toFile());
        Set<String> tested = new TreeSet<>();
        unitTests.path("tests").forEach(t -> t.path("alert_rule_test").forEach(a -> tested.add(a.path("alertname").asText())));
        String runbook = java.nio.file.Files.readString(Path.of("..", "docs", "operating.md"), StandardCharsets.UTF_8);
        for (JsonNode group : YAML.readTree(dir.resolve("alerts.yml").toFile()).path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                if (!rule.has("alert")) {
                    continue;
                }
                String name = rule.path("alert").asText();
                assertThat(tested).as("unit tests").contains(name);
                assertThat(rule.path("annotations").path("summary").asText()).as(name).isNotBlank();
                assertThat(rule.path("annotations").path("description").asText()).as(name).contains("Runbook: docs/operating.md");
                assertThat(runbook).as("the runbook in docs/operating.md").contains("#### " + name);
            }
        }
    }

    private record Run(int code, String output) {
    }

    private static Run run(Path dir, String... command) throws Exception {
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Run(process.exitValue(), output);
    }

    private static boolean onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (new File(dir, program).canExecute()) {
                return true;
            }
        }
        return false;
    }

    private static String scrape(int port) throws Exception {
        return MetricsScrape.text("http://127.0.0.1:" + port);
    }

    private static Set<String> names(String scrape) {
        Set<String> names = new TreeSet<>();
        scrape.lines().filter(l -> !l.isBlank() && !l.startsWith("#")).forEach(l -> {
            int end = l.indexOf('{') >= 0 ? l.indexOf('{') : l.indexOf(' ');
            names.add(l.substring(0, end));
        });
        return names;
    }
}
