package io.travelart.core.openai;

import com.openai.errors.BadRequestException;
import com.openai.errors.InternalServerException;
import com.openai.errors.OpenAIInvalidDataException;
import com.openai.errors.OpenAIIoException;
import com.openai.errors.OpenAIServiceException;
import com.openai.errors.PermissionDeniedException;
import com.openai.errors.RateLimitException;
import com.openai.errors.UnauthorizedException;
import io.travelart.core.engine.ErrorCodes;
import io.travelart.core.engine.Failure;

import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.util.concurrent.CompletionException;

/** Turns what the OpenAI SDK throws into a {@link Failure} with a stable code. */
public final class OpenAiErrors {

    private OpenAiErrors() {
    }

    public static Failure classify(Throwable error) {
        Throwable t = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (t instanceof BadRequestException bad) {
            boolean policy = bad.code().filter("content_policy_violation"::equals).isPresent()
                    || String.valueOf(bad.getMessage()).contains("content_policy_violation");
            return policy ? Failure.permanent(ErrorCodes.CONTENT_POLICY, message(bad))
                    : Failure.permanent(ErrorCodes.UPSTREAM_4XX, message(bad));
        }
        if (t instanceof RateLimitException e) {
            return Failure.retriable(ErrorCodes.RATE_LIMITED, message(e));
        }
        if (t instanceof InternalServerException e) {
            return Failure.retriable(ErrorCodes.UPSTREAM_5XX, message(e));
        }
        if (t instanceof UnauthorizedException || t instanceof PermissionDeniedException) {
            return Failure.permanent(ErrorCodes.AUTH, message((OpenAIServiceException) t));
        }
        if (t instanceof OpenAIServiceException e) {
            int status = e.statusCode();
            boolean transientStatus = status == 408 || status == 409;
            return new Failure(status == 408 ? ErrorCodes.TIMEOUT : ErrorCodes.UPSTREAM_4XX, message(e), transientStatus, 1);
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
