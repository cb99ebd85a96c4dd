package io.travelart.image;

import io.travelart.core.failure.Classified;
import io.travelart.core.failure.ErrorCodes;
import io.travelart.core.failure.Failure;

/** An image answered as a URL could not be downloaded: a network failure worth a retry. */
public class ImageDownloadException extends RuntimeException implements Classified {
    public ImageDownloadException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public Failure failure() {
        return Failure.retriable(ErrorCodes.NETWORK, getMessage());
    }
}
