package io.travelart.core.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.travelart.core.config.RegistryConfig.ClientCredentials;
import io.travelart.core.json.Json;
import io.travelart.core.time.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Access tokens for the registry from an identity provider, by OAuth 2.0 client credentials (RFC 6749 4.4): the client
 * id and secret in HTTP Basic (form-encoded first, 2.3.1), {@code grant_type=client_credentials} and the scope if one is
 * set. A token is kept until 80% of its {@code expires_in} has passed (Kafka's login refreshes at the same share), or
 * until the registry refuses it; one without {@code expires_in} is kept until refused. When the provider cannot be
 * reached at refresh time, the token in hand is used while it is still valid and asking is tried again after
 * {@link #RETRY_AFTER}. Calls ask one at a time: many calls in flight that need a new token get the same one.
 *
 * <p>The provider is reached with the JVM's TLS trust (it is usually a public identity provider, not the registry);
 * the secret and the tokens are never logged.
 */
final class OAuthTokens {

    private static final Logger log = LoggerFactory.getLogger(OAuthTokens.class);
    private static final ObjectMapper JSON = Json.mapper();
    /** The share of a token's life after which a new one is asked for. */
    static final double REFRESH_AT = 0.8;
    /** After a failed refresh with a valid token in hand, the wait before asking again. */
    static final Duration RETRY_AFTER = Duration.ofSeconds(5);
    /** The longest a token is kept, whatever the provider says of it. */
    static final Duration LONGEST_LIFE = Duration.ofDays(1);
    /** The longest answer read from the token endpoint: a token is a few KB at most. */
    private static final int MAX_ANSWER = 64 * 1024;

    private final ClientCredentials credentials;
    private final HttpClient http;
    private final Time time;
    private final Duration timeout;
    private final ReentrantLock lock = new ReentrantLock();
    private Token current;
    private long nextAttemptNanos;

    /** A token, when it was received, and when to ask for the next one and when it stops being valid (nanoTime). */
    record Token(String value, long refreshAtNanos, long expiresAtNanos) {
    }

    OAuthTokens(ClientCredentials credentials, HttpClient http, Time time, Duration timeout) {
        this.credentials = credentials;
        this.http = http;
        this.time = time;
        this.timeout = timeout;
    }

    /** A token to send now: the one in hand while it is fresh, else a new one. */
    String token() {
        lock.lock();
        try {
            long now = time.nanoTime();
            if (current != null && now - current.refreshAtNanos() < 0) {
                return current.value();
            }
            boolean stillValid = current != null && now - current.expiresAtNanos() < 0;
            if (stillValid && now - nextAttemptNanos < 0) {
                return current.value();
            }
            try {
                current = fetch(now);
                return current.value();
            } catch (RegistryException e) {
                if (!stillValid) {
                    throw e;
                }
                nextAttemptNanos = now + RETRY_AFTER.toNanos();
                log.warn("registry token: asking {} for a new one failed ({}); the one in hand is valid for {} s more",
                        credentials.tokenUrl(), e.getMessage(), (current.expiresAtNanos() - now) / 1_000_000_000L);
                return current.value();
            }
        } finally {
            lock.unlock();
        }
    }

    /** The registry refused {@code token}: the next call asks for a new one (unless another call did already). */
    void refused(String token) {
        lock.lock();
        try {
            if (current != null && current.value().equals(token)) {
                current = null;
            }
        } finally {
            lock.unlock();
        }
    }

    private Token fetch(long now) {
        StringBuilder form = new StringBuilder("grant_type=client_credentials");
        credentials.scope().ifPresent(scope -> form.append("&scope=").append(encode(scope)));
        String basic = Base64.getEncoder().encodeToString((encode(credentials.clientId()) + ":" + encode(credentials.clientSecret()))
                .getBytes(StandardCharsets.UTF_8));
        HttpRequest request = HttpRequest.newBuilder(URI.create(credentials.tokenUrl()))
                .timeout(timeout)
                .header("Authorization", "Basic " + basic)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(form.toString(), StandardCharsets.UTF_8))
                .build();
        int status;
        byte[] body;
        try {
            HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            status = response.statusCode();
            try (InputStream in = response.body()) {
                body = readWithin(in);
            }
        } catch (IOException e) {
            throw new RegistryException("the registry's token endpoint " + credentials.tokenUrl() + " cannot be reached: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException("interrupted while asking for a registry token", e);
        }
        return answer(status, body, now);
    }

    /**
     * The provider's answer, as a token or as the error it is: never anything else, whatever its bytes (a fuzz target).
     * A lifetime beyond {@link #LONGEST_LIFE} is taken as that, so a token is asked for again at least daily.
     */
    Token answer(int status, byte[] body, long now) {
        String text = new String(body, 0, Math.min(body.length, MAX_ANSWER), StandardCharsets.UTF_8);
        JsonNode answer = parse(text);
        if (status / 100 != 2) {
            // RFC 6749 5.2: error and error_description; the status decides whether the registry client tries again.
            String error = answer.path("error").asText("") + (answer.has("error_description")
                    ? ": " + answer.path("error_description").asText() : "");
            throw new RegistryException(status, 0, "the registry's token endpoint " + credentials.tokenUrl()
                    + " answered " + status + (error.isEmpty() ? "" : " (" + io.travelart.events.RequestBounds.shown(error) + ")") + " for client "
                    + credentials.clientId());
        }
        String token = answer.path("access_token").asText("");
        if (token.isEmpty() || body.length > MAX_ANSWER) {
            throw new RegistryException(502, 0, "the registry's token endpoint " + credentials.tokenUrl()
                    + " answered without an access_token");
        }
        long lifetime = answer.path("expires_in").asLong(0);
        if (lifetime <= 0) {
            long never = now + Long.MAX_VALUE; // the farthest nanoTime ahead, as its wrap-around comparisons see it
            return new Token(token, never, never);
        }
        long lifeNanos = Math.min(lifetime, LONGEST_LIFE.toSeconds()) * 1_000_000_000L;
        log.debug("registry token for client {}: valid {} s", credentials.clientId(), lifetime);
        return new Token(token, now + (long) (lifeNanos * REFRESH_AT), now + lifeNanos);
    }

    /**
     * The answer's first {@value #MAX_ANSWER} bytes and one more, read within the timeout: the client's timeout ends at
     * the answer's headers, and a provider that trickles its body must not hold the registry's calls for good.
     */
    private byte[] readWithin(InputStream in) throws IOException, InterruptedException {
        CompletableFuture<byte[]> read = new CompletableFuture<>();
        Thread.ofVirtual().name("registry-token-read").start(() -> {
            try {
                read.complete(in.readNBytes(MAX_ANSWER + 1));
            } catch (IOException | RuntimeException e) {
                read.completeExceptionally(e);
            }
        });
        try {
            return read.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            in.close();
            throw new RegistryException(504, 0, "the registry's token endpoint " + credentials.tokenUrl() + " did not finish its "
                    + "answer within " + timeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        }
    }

    private static JsonNode parse(String text) {
        try {
            JsonNode node = JSON.readTree(text);
            return node == null || !node.isObject() ? JSON.createObjectNode() : node;
        } catch (IOException e) {
            return JSON.createObjectNode();
        }
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
