package io.travelart.webhook;

import io.travelart.core.failure.ErrorClassifier;
import io.travelart.core.failure.ErrorCodes;
import io.travelart.core.failure.Failure;
import io.travelart.core.time.Time;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Optional;

/**
 * One POST of a {@link Message} to an {@link Endpoint}, signed for this attempt (its own {@code webhook-timestamp}). A
 * 2xx acknowledges it. Redirects are not followed (a 3xx is refused for good: the endpoint to configure is where it
 * points); every other answer, a timeout or a broken connection is worth another attempt, after the {@code Retry-After}
 * the endpoint asked for when it asked. Nothing of the answer's body is read: the connection is closed once its status
 * is in, so a receiver that drips a body holds nothing here.
 */
public final class Sender {

    /** The answer to one attempt that the endpoint did not acknowledge. */
    public static final class NotAcknowledged extends RuntimeException {
        private final transient Failure failure;
        private final transient Optional<Duration> retryAfter;

        NotAcknowledged(Failure failure, Optional<Duration> retryAfter) {
            super(failure.message(), null, false, false);
            this.failure = failure;
            this.retryAfter = retryAfter;
        }

        public Failure failure() {
            return failure;
        }
    }

    /** What the failures of attempts mean: the endpoint's answer, a timeout, or no connection. */
    public static final ErrorClassifier ERRORS = new ErrorClassifier() {
        @Override
        public Failure classify(Throwable error) {
            return switch (error) {
                case NotAcknowledged n -> n.failure;
                case HttpTimeoutException t -> Failure.retriable(ErrorCodes.TIMEOUT, "the endpoint did not answer in time: " + t.getMessage());
                case IOException io -> Failure.retriable(ErrorCodes.NETWORK, "the endpoint cannot be reached: " + io);
                case InterruptedException i -> Failure.retriable(ErrorCodes.INTERRUPTED, "stopped during a delivery");
                default -> Failure.permanent(ErrorCodes.INTERNAL, "delivering failed: " + error);
            };
        }

        @Override
        public Optional<Duration> retryAfter(Throwable error) {
            return error instanceof NotAcknowledged n ? n.retryAfter : Optional.empty();
        }
    };

    private final HttpClient client;
    private final Duration timeout;
    private final Time time;

    /** @param timeout from sending the request to the answer's status line and headers */
    public Sender(HttpClient client, Duration timeout, Time time) {
        this.client = client;
        this.timeout = timeout;
        this.time = time;
    }

    /** A client that follows no redirect and gives up connecting after {@code connectTimeout}. */
    public static HttpClient client(Duration connectTimeout) {
        return HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).connectTimeout(connectTimeout).build();
    }

    /**
     * @return the acknowledging status
     * @throws NotAcknowledged for an answer that is not a 2xx; {@link IOException} when there was none
     */
    public int post(Endpoint endpoint, Message message) throws IOException, InterruptedException {
        long timestamp = time.instant().getEpochSecond();
        HttpRequest request = HttpRequest.newBuilder(endpoint.url())
                .timeout(timeout)
                .header("content-type", "application/json")
                .header("user-agent", "Travelart-Webhooks/1")
                .header("webhook-id", message.webhookId())
                .header("webhook-timestamp", Long.toString(timestamp))
                .header("webhook-signature", Signatures.sign(endpoint.secret(), message.webhookId(), timestamp, message.body()))
                .POST(HttpRequest.BodyPublishers.ofByteArray(message.body()))
                .build();
        HttpResponse<InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
        response.body().close();
        int status = response.statusCode();
        if (status >= 200 && status < 300) {
            return status;
        }
        if (status >= 300 && status < 400) {
            throw new NotAcknowledged(Failure.permanent(ErrorCodes.WEBHOOK_REJECTED, endpoint.origin() + " answered " + status
                    + " (a redirect, not followed): configure the address it points to"), Optional.empty());
        }
        return failedWith(endpoint, status, response.headers().firstValue("retry-after"));
    }

    private int failedWith(Endpoint endpoint, int status, Optional<String> retryAfter) {
        throw new NotAcknowledged(Failure.retriable(ErrorCodes.WEBHOOK_REJECTED, endpoint.origin() + " answered " + status),
                retryAfter.flatMap(value -> retryAfter(value, time)));
    }

    /** The longest {@code Retry-After} taken as it is: longer than any retry budget (a wait beyond the budget is not waited). */
    static final Duration MAX_RETRY_AFTER = Duration.ofDays(1);

    /** {@code Retry-After} as seconds or as an HTTP date, at most {@link #MAX_RETRY_AFTER}; nothing for what is neither. */
    static Optional<Duration> retryAfter(String value, Time time) {
        String text = value.strip();
        try {
            long seconds = Long.parseLong(text);
            return seconds < 0 ? Optional.empty() : Optional.of(Duration.ofSeconds(Math.min(seconds, MAX_RETRY_AFTER.toSeconds())));
        } catch (NumberFormatException e) {
            // an HTTP date, below
        }
        try {
            ZonedDateTime at = ZonedDateTime.parse(text, DateTimeFormatter.RFC_1123_DATE_TIME);
            Duration wait = Duration.between(time.instant(), at.toInstant());
            return Optional.of(wait.isNegative() ? Duration.ZERO : wait.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : wait);
        } catch (java.time.format.DateTimeParseException | ArithmeticException e) {
            return Optional.empty();
        }
    }
}
