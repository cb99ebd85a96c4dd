package io.travelart.system;

import io.travelart.cli.ConnectionOptions;
import io.travelart.cli.TravelartCli;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.travelart.core.config.Settings;
import io.travelart.core.config.WorkerConfig;
import io.travelart.core.worker.ManagementServer;
import io.travelart.image.store.ImageStoreConfig;
import io.travelart.image.app.ImageWorkerConfig;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * docker-compose.yml, the Dockerfiles and ops/ checked against the code: every variable the compose file
 * gives a worker is one the worker reads (and accepts), and every host, port, path and command matches
 * what the programs serve and understand. Docker is not needed: this reads the files.
 */
class ComposeFileTest {

    private static final Path ROOT = Path.of("..");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Z][A-Z0-9_]*)(?::([-?])([^}]*))?}");

    private final JsonNode compose = YAML.readTree(ROOT.resolve("docker-compose.yml").toFile());
    private final JsonNode services = compose.path("services");

    ComposeFileTest() throws IOException {
    }

    /** What compose makes of ${VAR:-default} and ${VAR:?message} when the variable is unset; a set-or-fail one gets a value. */
    private static String interpolate(String text) {
        Matcher m = VARIABLE.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = "-".equals(m.group(2)) ? m.group(3) : "?".equals(m.group(2)) ? "sk-compose-test" : "";
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }

    private Map<String, String> environment(String service) {
        Map<String, String> env = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = services.path(service).path("environment").fields(); it.hasNext(); ) {
            var e = it.next();
            env.put(e.getKey(), interpolate(e.getValue().asText()));
        }
        assertThat(env).as("environment of %s", service).isNotEmpty();
        return env;
    }

    private static List<String> texts(JsonNode array) {
        List<String> list = new ArrayList<>();
        array.forEach(n -> list.add(n.asText()));
        return list;
    }

    /** The Compose Specification's own JSON schema, from ../shared/compose-spec (not in this repository). */
    private static final Path COMPOSE_SPEC = ROOT.resolve("../shared/compose-spec/compose-spec.json");

    @Test
    void theComposeFileIsValidUnderTheComposeSpecificationsSchema() throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(COMPOSE_SPEC),
                COMPOSE_SPEC.toAbsolutePath().normalize() + " is not there: the compose file is not checked against the specification's schema");
        var factory = com.networknt.schema.JsonSchemaFactory.getInstance(com.networknt.schema.SpecVersion.VersionFlag.V7);
        // Read from its file, so that its relative $id resolves.
        var schema = factory.getSchema(COMPOSE_SPEC.toAbsolutePath().normalize().toUri());

        assertThat(schema.validate(compose)).as("docker-compose.yml against the Compose Specification").isEmpty();
        // The check can fail: a misspelt key is refused.
        JsonNode misspelt = YAML.readTree("services:\n  worker:\n    image: x\n    enviroment:\n      A: b\n");
        assertThat(schema.validate(misspelt)).anySatisfy(m -> assertThat(m.getMessage()).contains("enviroment"));
    }

    @Test
    void everyVariableTheComposeFileGivesAWorkerIsOneItReadsAndAccepts() {
        WorkerSettings.WORKERS.keySet().forEach(service -> {
            Map<String, String> env = environment(service);
            WorkerConfig config = WorkerSettings.readsAll(service, env);

            // Kafka and the registry: hosts are services of this file, ports are where those listen.
            String bootstrap = env.get("KAFKA_BOOTSTRAP_SERVERS");
            assertThat(services.has(bootstrap.split(":")[0])).as("%s is a service", bootstrap).isTrue();
            assertThat(services.path("kafka").path("environment").path("KAFKA_ADVERTISED_LISTENERS").asText())
                    .contains("PLAINTEXT://" + bootstrap);
            URI registry = URI.create(env.get("SCHEMA_REGISTRY_URL"));
            assertThat(services.has(registry.getHost())).isTrue();
            assertThat(services.path(registry.getHost()).path("environment").path("SCHEMA_REGISTRY_LISTENERS").asText())
                    .endsWith(":" + registry.getPort());

            // Prometheus scrapes the worker where its metrics are.
            assertThat(scrapeTarget(service)).isEqualTo(Map.of("port", Integer.toString(config.managementPort()),
                    "path", ManagementServer.METRICS_PATH));
            assertThat(services.path(service).path("depends_on").path("setup").path("condition").asText())
                    .isEqualTo("service_completed_successfully");
        });
    }

    private Map<String, String> scrapeTarget(String job) {
        try {
            JsonNode prometheus = YAML.readTree(ROOT.resolve("ops/prometheus/prometheus.yml").toFile());
            for (JsonNode config : prometheus.path("scrape_configs")) {
                if (config.path("job_name").asText().equals(job)) {
                    JsonNode sd = config.path("dns_sd_configs").get(0);
                    assertThat(texts(sd.path("names"))).containsExactly(job);
                    return Map.of("port", sd.path("port").asText(), "path", config.path("metrics_path").asText());
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        throw new AssertionError("ops/prometheus/prometheus.yml has no job " + job);
    }

    @Test
    void imagesGoToTheS3ServiceItsBucketAndKeyAndArePublishedUnderItsPublicEndpoint() throws IOException {
        Map<String, String> env = environment("image-worker");
        ImageWorkerConfig config = ImageWorkerConfig.from(Settings.of(env));
        assertThat(config.store()).isInstanceOf(ImageStoreConfig.S3.class);
        ImageStoreConfig.S3 s3 = (ImageStoreConfig.S3) config.store();

        // The endpoint is the s3 service, on the port its gateway listens on.
        URI endpoint = s3.endpoint().orElseThrow();
        List<String> command = texts(services.path(endpoint.getHost()).path("command"));
        assertThat(command).contains("-s3", "-s3.port=" + endpoint.getPort());
        assertThat(s3.pathStyle()).isTrue();

        // The bucket is created before any image-worker starts.
        assertThat(services.path("bucket").path("entrypoint").toString()).contains("s3.bucket.create -name " + s3.bucket());
        assertThat(services.path("image-worker").path("depends_on").path("bucket").path("condition").asText())
                .isEqualTo("service_completed_successfully");

        // The worker's key is one the store knows, allowed to write the bucket; anyone may read it.
        String mounted = texts(services.path(endpoint.getHost()).path("volumes")).stream()
                .filter(v -> v.endsWith(":ro")).findFirst().orElseThrow();
        String configPath = command.stream().filter(c -> c.startsWith("-s3.config=")).findFirst().orElseThrow().substring(11);
        assertThat(mounted).endsWith(":" + configPath + ":ro");
        JsonNode identities = new ObjectMapper().readTree(ROOT.resolve(mounted.split(":")[0]).toFile()).path("identities");
        ImageStoreConfig.S3.Credentials key = s3.credentials().orElseThrow();
        List<String> writerActions = new ArrayList<>();
        List<String> anonymousActions = new ArrayList<>();
        for (JsonNode identity : identities) {
            for (JsonNode credential : identity.path("credentials")) {
                if (credential.path("accessKey").asText().equals(key.accessKeyId())) {
                    assertThat(credential.path("secretKey").asText()).isEqualTo(key.secretAccessKey());
                    writerActions.addAll(texts(identity.path("actions")));
                }
            }
            if (identity.path("name").asText().equals("anonymous")) {
                anonymousActions.addAll(texts(identity.path("actions")));
            }
        }
        assertThat(writerActions).contains("Write:" + s3.bucket(), "Read:" + s3.bucket());
        assertThat(anonymousActions).containsExactly("Read:" + s3.bucket());

        // Published URLs are <public base>/<key>: the bucket on the port the host reaches the gateway on.
        URI base = URI.create(config.publicBaseUrl().orElseThrow());
        assertThat(texts(services.path(endpoint.getHost()).path("ports"))).anySatisfy(port ->
                assertThat(port).endsWith(":" + base.getPort() + ":" + endpoint.getPort()));
        assertThat(base.getPath()).isEqualTo("/" + s3.bucket());
    }

    @Test
    void everyPublishedPortListensOnLoopbackUnlessTheOperatorSaysOtherwise() throws IOException {
        JsonNode services = compose.path("services");
        List<String> published = new ArrayList<>();
        services.fields().forEachRemaining(service -> published.addAll(texts(service.getValue().path("ports"))));
        assertThat(published).isNotEmpty().allSatisfy(port ->
                assertThat(port).as("Kafka, the registry, S3 and Prometheus are for this host").startsWith("${TRAVELART_PUBLISH_ADDRESS:-127.0.0.1}:"));
    }

    /** The Java feature version the build compiles for (maven.compiler.release in the parent POM). */
    private static String javaRelease() throws IOException {
        java.util.regex.Matcher release = java.util.regex.Pattern.compile("<maven.compiler.release>(\\d+)</maven.compiler.release>")
                .matcher(Files.readString(ROOT.resolve("pom.xml"), StandardCharsets.UTF_8));
        assertThat(release.find()).as("maven.compiler.release in the parent POM").isTrue();
        return release.group(1);
    }

    @Test
    void theDockerfilesCopyWhatTheBuildMakesAndCheckTheHealthEndpoint() throws IOException {
        for (String module : List.of("prompt-worker", "image-worker", "webhook-worker", "cli")) {
            String dockerfile = Files.readString(ROOT.resolve(module).resolve("Dockerfile"), StandardCharsets.UTF_8);
            String jar = module.equals("cli") ? "travelart.jar" : module + ".jar";
            assertThat(dockerfile).contains("COPY target/" + jar + " ").contains("COPY target/lib/ lib/").contains("USER 10001")
                    .containsPattern("(?m)^FROM eclipse-temurin:" + javaRelease() + "\\.\\d+\\.\\d+_\\d+-jre-alpine$");
            Path built = ROOT.resolve(module).resolve("target");
            if (Files.isDirectory(built.resolve("lib"))) {
                assertThat(built.resolve(jar)).as("the jar the Dockerfile copies").isRegularFile();
            }
            String service = module.equals("cli") ? "setup" : module;
            assertThat(services.path(service).path("build").asText()).isEqualTo(module);
            if (!module.equals("cli")) {
                assertThat(dockerfile).contains("HEALTHCHECK").contains(ManagementServer.READY_PATH)
                        .contains("${TRAVELART_MANAGEMENT_PORT:-" + WorkerConfig.DEFAULT_MANAGEMENT_PORT + "}")
                        .containsPattern("(?m)^EXPOSE .*\\b" + WorkerConfig.DEFAULT_MANAGEMENT_PORT + "\\b");
            }
        }
    }

    @Test
    void theSetupAndSimulatorRunCommandsTheTravelartCommandHas() throws IOException {
        String setup = interpolate(texts(services.path("setup").path("entrypoint")).get(2));
        for (String run : setup.split("&&")) {
            String[] args = run.trim().replaceFirst("^java -jar /app/travelart.jar ", "").split("\\s+");
            CommandLine.ParseResult parsed = TravelartCli.commandLine().parseArgs(args);
            assertThat(parsed.hasSubcommand()).as(run).isTrue();
        }
        assertThat(setup).contains("topics create").contains("schemas register");

        List<String> simulator = texts(services.path("simulator").path("command"));
        CommandLine.ParseResult parsed = TravelartCli.commandLine().parseArgs(simulator.toArray(String[]::new));
        assertThat(parsed.subcommand().subcommand().commandSpec().name()).isEqualTo("simulator");
        assertThat(texts(services.path("simulator").path("profiles"))).containsExactly("simulator");

        // ops/simulator.env points the workers at that simulator and turns its profile on.
        Map<String, String> env = ConnectionOptions.DevEnvFile.read(ROOT.resolve("ops/simulator.env"));
        assertThat(env).containsEntry("COMPOSE_PROFILES", "simulator");
        URI simulatorUrl = URI.create(env.get("OPENAI_BASE_URL"));
        assertThat(simulatorUrl.getHost()).isEqualTo("simulator");
        assertThat(simulator).containsSequence("--port", Integer.toString(simulatorUrl.getPort()));
        assertThat(simulatorUrl.getPath()).isEqualTo("/v1");
    }

    @Test
    void theWebhooksProfileDeliversTheCommandsRequestsToItsReceiverWithTheSecretTheReceiverChecks() {
        Map<String, String> worker = environment("webhook-worker");
        io.travelart.webhook.Endpoints endpoints = io.travelart.webhook.Endpoints.parse(worker.get("TRAVELART_WEBHOOK_ENDPOINTS"),
                worker.get("TRAVELART_WEBHOOK_SECRETS"));
        // ./travelart publish's requests (its default source system) go to the receiver service.
        String source = TravelartCli.commandLine().getSubcommands().get("publish").getCommandSpec().findOption("--source").defaultValue();
        URI url = endpoints.forSource(source).orElseThrow().url();
        assertThat(services.has(url.getHost())).as("%s is a service", url.getHost()).isTrue();
        List<String> listen = texts(services.path(url.getHost()).path("command"));
        CommandLine.ParseResult parsed = TravelartCli.commandLine().parseArgs(listen.toArray(String[]::new));
        assertThat(parsed.subcommand().subcommand().commandSpec().name()).isEqualTo("listen");
        assertThat(listen).containsSequence("--port", Integer.toString(url.getPort())).containsSequence("--host", "0.0.0.0");
        Map<String, String> receiver = environment(url.getHost());
        assertThat(worker.get("TRAVELART_WEBHOOK_SECRETS")).isEqualTo(source + "=" + receiver.get("TRAVELART_WEBHOOK_SECRET"));
        assertThat(texts(services.path("webhook-worker").path("profiles"))).containsExactly("webhooks");
        assertThat(texts(services.path(url.getHost()).path("profiles"))).containsExactly("webhooks");
    }

    @Test
    void theApiProfileServesTheApiWithTheSettingsItReadsOnThePortItPublishes() {
        Map<String, String> env = environment("api");
        List<String> command = texts(services.path("api").path("command"));
        CommandLine.ParseResult parsed = TravelartCli.commandLine().parseArgs(command.toArray(String[]::new));
        assertThat(parsed.subcommand().commandSpec().name()).isEqualTo("api");
        // What travelart api does with its options: they stand for TRAVELART_API_HOST and TRAVELART_API_PORT.
        Settings settings = Settings.of(env).with(Map.of("TRAVELART_API_HOST", command.get(command.indexOf("--host") + 1),
                "TRAVELART_API_PORT", command.get(command.indexOf("--port") + 1)));
        io.travelart.api.ApiConfig config = io.travelart.api.ApiConfig.from(settings);
        assertThat(env.keySet()).allSatisfy(name -> assertThat(settings.namesRead().contains(name)
                || (name.startsWith("KAFKA_") && settings.namesRead().contains("KAFKA_*"))).as("the API reads %s", name).isTrue());
        // The local key the file's comment gives is one the API takes.
        assertThat(config.keys().source("ta_local-compose-stack-only")).contains("travelart-local");
        assertThat(texts(services.path("api").path("ports"))).singleElement().satisfies(port ->
                assertThat(interpolate(port)).isEqualTo("127.0.0.1:" + config.port() + ":" + config.port()));
        assertThat(scrapeTarget("api")).isEqualTo(Map.of("port", Integer.toString(config.managementPort()),
                "path", ManagementServer.METRICS_PATH));
        assertThat(texts(services.path("api").path("profiles"))).containsExactly("api");
        assertThat(services.path("api").path("depends_on").path("setup").path("condition").asText())
                .isEqualTo("service_completed_successfully");
    }
}
