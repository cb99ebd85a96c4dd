package io.travelart.core.openai;

import com.openai.errors.BadRequestException;
import com.openai.errors.InternalServerException;
import com.openai.errors.NotFoundException;
import com.openai.errors.OpenAIInvalidDataException;
import com.openai.errors.OpenAIIoException;
import com.openai.errors.OpenAIServiceException;
import com.openai.errors.PermissionDeniedException;
import com.openai.errors.RateLimitException;
import com.openai.errors.UnauthorizedException;
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

    /** On the system clock, which a {@code Retry-After} date is measured against. */
    public static final OpenAiErrors INSTANCE = new OpenAiErrors(Clock.systemUTC());

    private final Clock clock;

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
        if (t instanceof BadRequestException bad) {
            boolean policy = bad.code().filter("content_policy_violation"::equals).isPresent()
                    || String.valueOf(bad.getMessage()).contains("content_policy_violation");
            return policy ? Failure.permanent(ErrorCodes.CONTENT_POLICY, message(bad))
                    : Failure.permanent(ErrorCodes.UPSTREAM_4XX, message(bad));
        }
        if (t instanceof RateLimitException e) {
            // OpenAI answers an account out of credit with 429 too; waiting does not help, paying does.
            boolean quota = e.code().filter("insufficient_quota"::equals).isPresent();
            return Failure.retriable(quota ? ErrorCodes.QUOTA_EXHAUSTED : ErrorCodes.RATE_LIMITED, message(e));
        }
        if (t instanceof NotFoundException e && e.code().filter("model_not_found"::equals).isPresent()) {
            return Failure.retriable(ErrorCodes.MODEL_UNAVAILABLE, message(e));
        }
        if (t instanceof InternalServerException e) {
            return Failure.retriable(ErrorCodes.UPSTREAM_5XX, message(e));
        }
        if (t instanceof UnauthorizedException || t instanceof PermissionDeniedException) {
            return Failure.retriable(ErrorCodes.AUTH, message((OpenAIServiceException) t));
        }
        if (t instanceof OpenAIServiceException e) {
            int status = e.statusCode();
            boolean transientStatus = status == 408 || status == 409;
            return new Failure(status == 408 ? ErrorCodes.TIMEOUT : ErrorCodes.UPSTREAM_4XX, message(e), transientStatus, 1, null);
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
