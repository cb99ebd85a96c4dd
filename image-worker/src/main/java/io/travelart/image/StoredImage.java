package io.travelart.image;

import java.nio.file.Path;

/** An image in the store: its name (the last part of its URL), its file, and what a subscriber checks it by. */
public record StoredImage(String name, Path file, ImageFormat format, long sizeBytes, String sha256) {

    public String contentType() {
        return format.contentType();
    }
}
