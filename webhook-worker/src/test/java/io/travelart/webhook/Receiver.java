package io.travelart.webhook;

import com.standardwebhooks.Webhook;
import com.standardwebhooks.exceptions.WebhookVerificationException;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * A webhook receiver on a real HTTP server, as a subscriber writes one: it checks each delivery's signature with the
 * Standard Webhooks reference library (not our code) and answers what the test scripts. It can be stopped and started
 * again on the same port: a receiver down for a while.
 */
public final class Receiver implements AutoCloseable {

    /** One POST as received, and whether its signature held. */
    public record Delivery(String webhookId, String timestamp, String body, boolean verified, long receivedAtMillis) {
    }

    /** What to answer: a status, headers, and a pause before answering. */
    public record Answer(int status, Map<String, String> headers, long delayMillis) {
        public static Answer ok() {
            return new Answer(204, Map.of(), 0);
        }
    }

    public final ConcurrentLinkedQueue<Delivery> deliveries = new ConcurrentLinkedQueue<>();
    private final String secret;
    private final int port;
    private volatile Function<Delivery, Answer> script = d -> Answer.ok();
    private HttpServer server;

    public Receiver(String secret) {
        this(secret, 0);
    }

    Receiver(String secret, int port) {
        this.secret = secret;
        this.port = start(port);
    }

    public void answer(Function<Delivery, Answer> script) {
        this.script = script;
    }

    public URI url() {
        return URI.create("http://127.0.0.1:" + port + "/hooks/travelart?token=abc");
    }

    public int port() {
        return port;
    }

    private synchronized int start(int wanted) {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", wanted), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), v));
            boolean verified;
            try {
                new Webhook(secret).verify(body, headers);
                verified = true;
            } catch (WebhookVerificationException e) {
                verified = false;
            }
            var delivery = new Delivery(first(headers, "webhook-id"), first(headers, "webhook-timestamp"), body, verified,
                    System.currentTimeMillis());
            deliveries.add(delivery);
            Answer answer = script.apply(delivery);
            if (answer.delayMillis() > 0) {
                try {
                    Thread.sleep(answer.delayMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            answer.headers().forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
            exchange.sendResponseHeaders(answer.status(), -1);
            exchange.close();
        });
        server.start();
        return server.getAddress().getPort();
    }

    private static String first(Map<String, List<String>> headers, String name) {
        List<String> values = headers.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /** Down: the port refuses connections. */
    public synchronized void stop() {
        server.stop(0);
    }

    /** Up again on the same port. */
    public synchronized void restart() {
        start(port);
    }

    @Override
    public synchronized void close() {
        server.stop(0);
    }
}
