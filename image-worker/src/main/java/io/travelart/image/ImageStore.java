package io.travelart.image;

import java.io.IOException;
import java.util.Optional;

/**
 * Where generated images live, keyed by request id: a directory ({@code store.FileSystemImageStore}) or an
 * S3-compatible bucket ({@code store.S3ImageStore}). What subscribers fetch is said by {@link ImageLinks}.
 */
public interface ImageStore extends AutoCloseable {

    /** Stores the image of a request, replacing an earlier one, and returns where it is. */
    StoredImage put(String requestId, byte[] bytes, ImageFormat format) throws IOException;

    /** The image already stored for a request, if any: a redelivered or replayed request reuses it instead of paying again. */
    Optional<StoredImage> find(String requestId) throws IOException;

    @Override
    default void close() {
    }
}
