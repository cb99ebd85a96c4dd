package io.travelart.image;

/**
 * An image in the store.
 *
 * @param key     its name in the store: the file name, or the object key
 * @param address where it lives, for operators: the file's absolute path, or {@code s3://bucket/key}
 */
public record StoredImage(String key, String address, ImageFormat format, long sizeBytes, String sha256) {

    public String contentType() {
        return format.contentType();
    }
}
