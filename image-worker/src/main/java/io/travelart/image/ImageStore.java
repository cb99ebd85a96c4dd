package io.travelart.image;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/** Where generated images live; each is served as {@code <public base URL>/images/<name>}. */
public interface ImageStore {

    /** Stores the image of a request, replacing an earlier one, and returns where it is. */
    StoredImage put(String requestId, byte[] bytes, ImageFormat format) throws IOException;

    /** The image already stored for a request, if any: a redelivered or replayed request reuses it instead of paying again. */
    Optional<StoredImage> find(String requestId) throws IOException;

    /** The file behind a name from a URL, if there is one; for serving. */
    Optional<Path> file(String name);
}
