package io.travelart.image;

/** An image answered as a URL could not be downloaded. */
public class ImageDownloadException extends RuntimeException {
    public ImageDownloadException(String message, Throwable cause) {
        super(message, cause);
    }
}
