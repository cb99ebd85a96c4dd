package io.travelart.devstack.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import io.travelart.devstack.openai.OpenAiSimulator.Endpoint;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

/**
 * What a call to a {@code POST} endpoint passes before it is answered, in the order a provider checks: the method, the
 * key, a JSON body, the images-per-minute limit, and the faults the settings inject into paid calls.
 */
final class Admission {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The call goes on with its body, or it is refused with an answer (and the headers that go with it). */
    sealed interface Result permits Admitted, Refused {
    }

    record Admitted(JsonNode body) implements Result {
    }

    record Refused(Answer answer, Map<String, String> headers) implements Result {
        Refused(Answer answer) {
            this(answer, Map.of());
        }
    }

    private final Account account;
    private final CallLedger ledger;
    private final Supplier<SimulatorSettings> settings;
    private final Bucket imageBucket = new Bucket();

    Admission(Account account, CallLedger ledger, Supplier<SimulatorSettings> settings) {
        this.account = account;
        this.ledger = ledger;
        this.settings = settings;
    }

    Result admit(HttpExchange exchange, Endpoint endpoint) {
        if (!"POST".equals(exchange.getRequestMethod())) {
            return new Refused(Answer.error(405, "invalid_request_error", null, "Use POST."));
        }
        ledger.called(endpoint, exchange.getRequestHeaders().getFirst(OpenAiSimulator.REQUEST_ID_HEADER));
        Optional<Answer> key = account.refusesKey(exchange.getRequestHeaders().getFirst("Authorization"));
        if (key.isPresent()) {
            return new Refused(key.get());
        }
        JsonNode body;
        try (InputStream in = exchange.getRequestBody()) {
            body = JSON.readTree(in);
        } catch (IOException e) {
            return new Refused(Answer.error(400, "invalid_request_error", null, "We could not parse the JSON body of your request."));
        }
        SimulatorSettings s = settings.get();
        if (endpoint == Endpoint.IMAGES && s.imagesPerMinute() > 0) {
            long waitMillis = imageBucket.take(s.imagesPerMinute());
            if (waitMillis > 0) {
                ledger.rateLimited();
                return new Refused(Answer.error(429, "images", "rate_limit_exceeded",
                        "Rate limit reached for images per minute. Please try again later."),
                        retryAfter(waitMillis, Math.max(1, (waitMillis + 999) / 1000)));
            }
        }
        boolean paid = endpoint == Endpoint.CHAT || endpoint == Endpoint.IMAGES;
        if (paid && s.faultStatus() != 0 && ThreadLocalRandom.current().nextDouble() < s.faultRate()) {
            ledger.faulted();
            if (s.faultStatus() == 429) {
                return new Refused(Answer.error(429, "requests", "rate_limit_exceeded", "Rate limit reached. Please try again later."),
                        retryAfter(s.retryAfter().toMillis(), Math.max(1, s.retryAfter().toSeconds())));
            }
            return new Refused(Answer.error(s.faultStatus(), "server_error", null, "The server had an error while processing your request."));
        }
        return new Admitted(body);
    }

    /** Both of OpenAI's retry headers: in milliseconds, and in whole seconds. */
    private static Map<String, String> retryAfter(long millis, long seconds) {
        return Map.of("retry-after-ms", Long.toString(millis), "Retry-After", Long.toString(seconds));
    }

    /** The images-per-minute limit: a bucket of one second's share, refilled evenly. */
    private static final class Bucket {
        private double tokens = -1;
        private long last;

        /** Takes one token if there is one and returns 0; else how many milliseconds until there is. */
        synchronized long take(int perMinute) {
            double capacity = Math.max(1.0, perMinute / 60.0);
            double perNano = perMinute / 60e9;
            long now = System.nanoTime();
            tokens = tokens < 0 ? capacity : Math.min(capacity, tokens + (now - last) * perNano);
            last = now;
            if (tokens >= 1) {
                tokens -= 1;
                return 0;
            }
            return Math.max(1, (long) Math.ceil((1 - tokens) / perNano / 1e6));
        }
    }
}
