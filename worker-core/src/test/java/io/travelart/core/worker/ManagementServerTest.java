package io.travelart.core.worker;

import io.travelart.core.http.HttpServers;
import io.travelart.core.http.StalledClients;
import io.travelart.core.metrics.WorkerMetrics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The management endpoints against clients that open connections and never finish their requests. */
class ManagementServerTest {

    private static final ManagementServer.Health HEALTHY = new ManagementServer.Health() {
        @Override
        public Optional<String> notLive() {
            return Optional.empty();
        }

        @Override
        public Optional<String> notReady() {
            return Optional.empty();
        }
    };

    /** A connection that sends the start of a request and then nothing: the request's blank line never comes. */
    @ParameterizedTest(name = "{0} stalled connections")
    @ValueSource(ints = {1, 50})
    void livenessAnswersWithinASecondWhileClientsStallTheirRequests(int stalled) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        try (ManagementServer server = ManagementServer.start("127.0.0.1", 0, WorkerMetrics.inMemory(), () -> HEALTHY)) {
            List<Socket> sockets = new ArrayList<>();
            try {
                for (int i = 0; i < stalled; i++) {
                    sockets.add(StalledClients.stall(server.port()));
                }
                long started = System.nanoTime();
                HttpResponse<String> live = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/health/live"))
                        .timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.ofString());
                long tookMs = (System.nanoTime() - started) / 1_000_000;
                System.out.printf("management server: /health/live answered %d in %d ms with %d stalled connection(s)%n",
                        live.statusCode(), tookMs, stalled);
                assertThat(live.statusCode()).isEqualTo(200);
            } finally {
                for (Socket socket : sockets) {
                    socket.close();
                }
            }
        }
    }

    @Test
    void aStalledRequestIsCutOffAfterTheRequestTimeLimit() throws Exception {
        try (ManagementServer server = ManagementServer.start("127.0.0.1", 0, WorkerMetrics.inMemory(), () -> HEALTHY);
             Socket socket = StalledClients.stall(server.port())) {
            // The JDK's timer looks once a second; a read that outlasts the limit by more throws instead of ending.
            socket.setSoTimeout((HttpServers.REQUEST_SECONDS + 3) * 1000);
            InputStream in = socket.getInputStream();
            assertThat(in.read()).as("the server closes the connection without an answer").isEqualTo(-1);
        }
    }
}
