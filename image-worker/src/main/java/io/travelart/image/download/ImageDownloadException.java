package io.travelart.image.download;

import io.travelart.core.failure.Classified;
import io.travelart.core.failure.ErrorCodes;
import io.travelart.core.failure.Failure;

/**
 * An image answered as a URL could not be downloaded: a network failure worth a retry, or an answer refused
 * ({@code refused}: too large, redirected to another host, not an http(s) URL), which is the provider's
 * invalid answer.
 */
public class ImageDownloadException extends RuntimeException implements Classified {
    private final boolean refused;

    public ImageDownloadException(String message, Throwable cause) {
        this(message, false, cause);
    }

    public ImageDownloadException(String message, boolean refused, Throwable cause) {
        super(message, cause);
        this.refused = refused;
    }

    @Override
    public Failure failure() {
        return Failure.retriable(refused ? ErrorCodes.INVALID_ANSWER : ErrorCodes.NETWORK, getMessage());
    }
}
