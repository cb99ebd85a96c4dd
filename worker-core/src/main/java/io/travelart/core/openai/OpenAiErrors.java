package io.travelart.core.openai;

import com.openai.errors.OpenAIInvalidDataException;
import com.openai.errors.OpenAIIoException;
import com.openai.errors.OpenAIServiceException;
import io.travelart.core.failure.Classified;
import io.travelart.core.failure.ErrorClassifier;
import io.travelart.core.failure.ErrorCodes;
import io.travelart.core.failure.Failure;

import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.concurrent.CompletionException;

/**
 * Turns what the OpenAI SDK and the network throw into a {@link Failure} with a stable code, and reads
 * the provider's retry headers ({@code retry-after-ms}, {@code Retry-After} in seconds or as a date).
 */
public final class OpenAiErrors implements ErrorClassifier {

    private final Clock clock;

    /** @param clock the wall clock a {@code Retry-After} date is measured against (the worker's {@code Time}) */
    public OpenAiErrors(Clock clock) {
        this.clock = clock;
    }

    @Override
    public Failure classify(Throwable error) {
        return classifyError(error);
    }

    @Override
    public Optional<Duration> retryAfter(Throwable error) {
        if (!(unwrap(error) instanceof OpenAIServiceException e)) {
            return Optional.empty();
        }
        Optional<Duration> millis = first(e, "retry-after-ms").flatMap(v -> {
            try {
                return Optional.of(Duration.ofNanos((long) (Double.parseDouble(v) * 1_000_000)));
            } catch (NumberFormatException nfe) {
                return Optional.empty();
            }
        });
        if (millis.isPresent()) {
            return millis;
        }
        return first(e, "retry-after").flatMap(v -> {
            try {
                return Optional.of(Duration.ofMillis((long) (Double.parseDouble(v) * 1000)));
            } catch (NumberFormatException nfe) {
                try {
                    Duration until = Duration.between(clock.instant(), ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME));
                    return Optional.of(until.isNegative() ? Duration.ZERO : until);
                } catch (DateTimeParseException dtpe) {
                    return Optional.empty();
                }
            }
        }).filter(d -> !d.isNegative());
    }

    private static Optional<String> first(OpenAIServiceException e, String header) {
        return e.headers().values(header).stream().findFirst().map(String::trim);
    }

    private static Throwable unwrap(Throwable error) {
        return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    }

    private static Failure classifyError(Throwable error) {
        Throwable t = unwrap(error);
        if (t instanceof Classified classified) {
            return classified.failure();
        }
        if (t instanceof InterruptedException) {
            return Failure.retriable(ErrorCodes.INTERRUPTED, "the worker stopped during the call");
        }
        if (t instanceof OpenAIServiceException e) {
            return classifyAnswer(e.statusCode(), e.code().orElse(null), message(e));
        }
        if (t instanceof OpenAIIoException io) {
            boolean timeout = hasCause(io, SocketTimeoutException.class) || hasCause(io, InterruptedIOException.class);
            return Failure.retriable(timeout ? ErrorCodes.TIMEOUT : ErrorCodes.NETWORK, String.valueOf(io.getMessage()));
        }
        if (t instanceof OpenAIInvalidDataException e) {
            return Failure.retriable(ErrorCodes.INVALID_ANSWER, "the provider's answer could not be read: " + e.getMessage());
        }
        return Failure.permanent(ErrorCodes.INTERNAL, String.valueOf(t));
    }

    /**
     * The failure an HTTP error answer of the provider stands for, by its status and error code: the one table for a
     * call's exception and for a batch line's answer, which comes back as a status and a body, not as an exception.
     *
     * @param code    the answer's {@code error.code}, or null
     * @param message what to say, the status and code included
     */
    public static Failure classifyAnswer(int status, String code, String message) {
        if (status == 400) {
            boolean policy = "content_policy_violation".equals(code) || String.valueOf(message).contains("content_policy_violation");
            return policy ? Failure.permanent(ErrorCodes.CONTENT_POLICY, message) : Failure.permanent(ErrorCodes.UPSTREAM_4XX, message);
        }
        if (status == 429) {
            // OpenAI answers an account out of credit with 429 too; waiting does not help, paying does.
            return Failure.retriable("insufficient_quota".equals(code) ? ErrorCodes.QUOTA_EXHAUSTED : ErrorCodes.RATE_LIMITED, message);
        }
        if (status == 404 && "model_not_found".equals(code)) {
            return Failure.retriable(ErrorCodes.MODEL_UNAVAILABLE, message);
        }
        if (status >= 500) {
            return Failure.retriable(ErrorCodes.UPSTREAM_5XX, message);
        }
        if (status == 401 || status == 403) {
            return Failure.retriable(ErrorCodes.AUTH, message);
        }
        boolean transientStatus = status == 408 || status == 409;
        return new Failure(status == 408 ? ErrorCodes.TIMEOUT : ErrorCodes.UPSTREAM_4XX, message, transientStatus, 1, null);
    }

    private static String message(OpenAIServiceException e) {
        return "HTTP " + e.statusCode() + e.code().map(c -> " " + c).orElse("") + ": " + e.getMessage();
    }

    private static boolean hasCause(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return true;
            }
        }
        return false;
    }
}
