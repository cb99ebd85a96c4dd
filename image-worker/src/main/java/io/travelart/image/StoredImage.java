package io.travelart.image;

import java.nio.file.Path;

/** An image in the store: its name (the last part of its URL), its file, and what a subscriber checks it by. */
public record StoredImage(String name, Path file, String contentType, long sizeBytes, String sha256) {
}
