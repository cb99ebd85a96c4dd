package io.travelart.system;

import io.travelart.cli.local.LocalPipeline;
import io.travelart.cli.records.RequestPublisher;
import io.travelart.core.results.ResultWatcher;
import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.travelart.core.openai.OpenAiClients;
import io.travelart.core.openai.OpenAiConfig;
import io.travelart.devstack.openai.OpenAiSimulator;
import io.travelart.devstack.openai.SimulatorSettings;
import io.travelart.image.ImageMemory;
import io.travelart.image.ImageSize;
import io.travelart.image.openai.OpenAiImageGenerator;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What the workers send and what the simulator answers, checked against OpenAI's own published
 * OpenAPI description (../shared/openai/openapi.json beside the repository; skipped where it is absent,
 * as in a user's fresh clone).
 */
class OpenApiConformanceIT {

    private static Optional<Path> openApi() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("shared/openai/openapi.json");
            if (Files.isRegularFile(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    @Test
    void workerRequestsAndSimulatorAnswersValidateAgainstOpenAisSchemas() throws Exception {
        Optional<Path> spec = openApi();
        Assumptions.assumeTrue(spec.isPresent(),
                "OpenAI's openapi.json is not beside this repository (../shared/openai/openapi.json): nothing to check against");
        JsonSchemaFactory factory = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
        String base = spec.get().toUri() + "#/components/schemas/";
        // The check must be able to fail: a body missing required fields is refused.
        JsonNode incomplete = new com.fasterxml.jackson.databind.ObjectMapper().readTree("{\"object\":\"chat.completion\",\"choices\":[{}]}");
        assertThat(factory.getSchema(SchemaLocation.of(base + "CreateChatCompletionResponse")).validate(incomplete))
                .extracting(ValidationMessage::getMessage).anyMatch(m -> m.contains("required property 'id'"));

        LocalPipeline pipeline = SharedPipeline.get();
        OpenAiSimulator simulator = pipeline.stack().simulator().orElseThrow();
        // One full request through both workers, one refusal, and one DALL·E-style URL answer.
        try (ResultWatcher watcher = pipeline.watcher(false); RequestPublisher publisher = pipeline.publisher()) {
            var ok = RequestPublisher.request("Tallinn old town in winter", "watercolor", "en", null, "conformance");
            var refused = RequestPublisher.request("Rome " + SimulatorSettings.DEFAULT_REFUSAL_MARKER, null, null, null, "conformance");
            publisher.publish(ok);
            publisher.publish(refused);
            Set<String> waiting = new java.util.HashSet<>(List.of(ok.getRequestId(), refused.getRequestId()));
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(10)).pollInSameThread().until(() -> {
                watcher.poll(Duration.ofMillis(200)).forEach(r -> waiting.remove(r.requestId()));
                return waiting.isEmpty();
            });
        }
        try (var client = closeable(OpenAiClients.create(
                new OpenAiConfig(Optional.of("sk-test"), simulator.baseUrl(), Duration.ofSeconds(10), true), 4))) {
            simulator.models().shutDownOn("dall-e-3", null); // shut down by OpenAI in May 2026; a compatible provider may serve it
            new OpenAiImageGenerator(client.client(), "dall-e-3", Duration.ofSeconds(10))
                    .generate("conformance-url", "Tallinn old town in winter", new ImageSize(1024, 1024), "medium");
            new OpenAiImageGenerator(client.client(), "gpt-image-2.6-flare", "webp", Optional.of(80), Duration.ofSeconds(10),
                    ImageMemory.UNBOUNDED)
                    .generate("conformance-webp", "Tallinn old town in winter", new ImageSize(1536, 1024), "high");
            client.client().models().retrieve("gpt-image-2.6-flare");
        }

        List<OpenAiSimulator.Exchange> exchanges = simulator.recentExchanges();
        assertThat(exchanges).extracting(OpenAiSimulator.Exchange::endpoint).contains(OpenAiSimulator.Endpoint.values());
        assertThat(exchanges).anyMatch(e -> e.status() == 400);
        for (OpenAiSimulator.Exchange exchange : exchanges) {
            String[] schemas = switch (exchange.endpoint()) {
                case CHAT -> new String[]{"CreateChatCompletionRequest", "CreateChatCompletionResponse"};
                case IMAGES -> new String[]{"CreateImageRequest", "ImagesResponse"};
                case MODERATIONS -> new String[]{"CreateModerationRequest", "CreateModerationResponse"};
                case MODELS -> new String[]{null, "Model"};
            };
            if (schemas[0] != null) {
                assertValid(factory, base + schemas[0], exchange.request());
            }
            assertValid(factory, base + (exchange.status() != 200 ? "ErrorResponse" : schemas[1]), exchange.response());
        }
    }

    private static void assertValid(JsonSchemaFactory factory, String schema, JsonNode body) {
        JsonSchema validator = factory.getSchema(SchemaLocation.of(schema));
        Set<ValidationMessage> errors = validator.validate(body);
        assertThat(errors).as("%s against %s", abbreviate(body), schema.substring(schema.indexOf('#'))).isEmpty();
    }

    private static String abbreviate(JsonNode body) {
        String text = body.toString().replaceAll("\"b64_json\":\"[^\"]{40}[^\"]*\"", "\"b64_json\":\"…\"");
        return text.length() > 600 ? text.substring(0, 600) + "…" : text;
    }

    private record ClosingClient(com.openai.client.OpenAIClient client) implements AutoCloseable {
        @Override
        public void close() {
            client.close();
        }
    }

    private static ClosingClient closeable(com.openai.client.OpenAIClient client) {
        return new ClosingClient(client);
    }
}
