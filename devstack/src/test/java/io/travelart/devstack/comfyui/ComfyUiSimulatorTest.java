package io.travelart.devstack.comfyui;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The ComfyUI simulator answers every call, as ComfyUI's server does, even one its handler cannot take. */
class ComfyUiSimulatorTest {

    private static ComfyUiSimulator simulator;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() {
        simulator = ComfyUiSimulator.start(ComfyUiSimulator.Settings.defaults());
    }

    @AfterAll
    static void stop() {
        simulator.close();
    }

    private static HttpResponse<String> post(String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(simulator.baseUrl() + path)).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aBodyItCannotReadIsAnswered500NotACloseWithoutAnAnswer() throws Exception {
        HttpResponse<String> queue = post("/queue", "this is not JSON");
        HttpResponse<String> history = post("/history", "{\"delete\": ");

        assertThat(queue.statusCode()).isEqualTo(500);
        assertThat(queue.body()).startsWith("500: ");
        assertThat(history.statusCode()).isEqualTo(500);
        // The server goes on serving.
        assertThat(post("/queue", "{\"clear\": true}").statusCode()).isEqualTo(200);
    }

    @Test
    void aGraphWithAnUnknownNodeIsRefusedWithComfyUisErrorShape() throws Exception {
        HttpResponse<String> refused = post("/prompt", "{\"prompt\": {\"1\": {\"class_type\": \"NoSuchNode\", \"inputs\": {}}}}");

        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(refused.body()).contains("\"type\":\"invalid_prompt\"", "NoSuchNode", "\"node_errors\":{}");
    }
}
