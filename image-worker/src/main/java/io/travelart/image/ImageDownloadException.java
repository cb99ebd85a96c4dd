package io.travelart.image;

import io.travelart.core.call.Classified;
import io.travelart.core.engine.ErrorCodes;
import io.travelart.core.engine.Failure;

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
