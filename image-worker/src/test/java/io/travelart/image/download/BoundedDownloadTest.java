package io.travelart.image.download;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Answers that would hold or fill the worker, from a server of our own: each is refused or cut off. */
class BoundedDownloadTest {

    private HttpServer server;
    private final CountDownLatch release = new CountDownLatch(1);
    private final HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/small", exchange -> {
            byte[] body = "0123456789".getBytes();
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.createContext("/endless", exchange -> {
            exchange.sendResponseHeaders(200, 0); // chunked, no length
            try (OutputStream out = exchange.getResponseBody()) {
                byte[] chunk = new byte[64 * 1024];
                for (int i = 0; i < 1_000_000; i++) {
                    out.write(chunk);
                }
            } catch (IOException e) {
                // the client went away, as it should
            }
        });
        server.createContext("/declared-huge", exchange -> {
            exchange.sendResponseHeaders(200, 5L << 30);
            // The headers must leave: Java 25's server sends nothing of an exchange closed before any of its body.
            exchange.getResponseBody().write(new byte[16]);
            exchange.getResponseBody().flush();
            exchange.close();
        });
        server.createContext("/stalled", exchange -> {
            exchange.sendResponseHeaders(200, 1000);
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exchange.close();
        });
        server.createContext("/elsewhere", exchange -> {
            exchange.getResponseHeaders().set("Location", "http://169.254.169.254/latest/meta-data/");
            exchange.sendResponseHeaders(302, -1);
            exchange.close();
        });
        server.createContext("/same-host", exchange -> {
            exchange.getResponseHeaders().set("Location", "/small");
            exchange.sendResponseHeaders(302, -1);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        release.countDown();
        server.stop(0);
    }

    private HttpRequest get(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path)).build();
    }

    @Test
    void aBodyWithinTheLimitArrivesWholeAndARedirectToTheSameHostIsFollowed() throws Exception {
        assertThat(BoundedDownload.send(client, get("/small"), 10, Duration.ofSeconds(5)).body()).hasSize(10);
        assertThat(BoundedDownload.send(client, get("/same-host"), 10, Duration.ofSeconds(5)).body()).hasSize(10);
    }

    @Test
    void aBodyOverTheLimitIsRefusedWhetherItSaysSoOrNot() {
        assertThatThrownBy(() -> BoundedDownload.send(client, get("/small"), 9, Duration.ofSeconds(5)))
                .isInstanceOfSatisfying(BoundedDownload.DownloadException.class,
                        e -> assertThat(e.reason()).isEqualTo(BoundedDownload.Reason.TOO_LARGE));
        assertThatThrownBy(() -> BoundedDownload.send(client, get("/declared-huge"), 1 << 20, Duration.ofSeconds(5)))
                .isInstanceOfSatisfying(BoundedDownload.DownloadException.class,
                        e -> assertThat(e.reason()).isEqualTo(BoundedDownload.Reason.TOO_LARGE));
        assertThatThrownBy(() -> BoundedDownload.send(client, get("/endless"), 1 << 20, Duration.ofSeconds(20)))
                .isInstanceOfSatisfying(BoundedDownload.DownloadException.class,
                        e -> assertThat(e.reason()).isEqualTo(BoundedDownload.Reason.TOO_LARGE));
    }

    @Test
    void aBodyThatStopsComingIsCutOffAtTheDeadline() {
        assertThatThrownBy(() -> BoundedDownload.send(client, get("/stalled"), 1 << 20, Duration.ofMillis(500)))
                .isInstanceOfSatisfying(BoundedDownload.DownloadException.class,
                        e -> assertThat(e.reason()).isEqualTo(BoundedDownload.Reason.TIMED_OUT));
    }

    @Test
    void aRedirectToAnotherHostIsNotFollowed() {
        assertThatThrownBy(() -> BoundedDownload.send(client, get("/elsewhere"), 1 << 20, Duration.ofSeconds(5)))
                .isInstanceOfSatisfying(BoundedDownload.DownloadException.class, e -> {
                    assertThat(e.reason()).isEqualTo(BoundedDownload.Reason.REDIRECTED);
                    assertThat(e.getMessage()).contains("169.254.169.254");
                });
    }
}
