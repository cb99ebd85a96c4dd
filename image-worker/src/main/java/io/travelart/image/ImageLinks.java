package io.travelart.image;

/** The URL a subscriber fetches a stored image from, published in image-ready. */
@FunctionalInterface
public interface ImageLinks {

    String url(StoredImage image);

    /** {@code <base>/<key>}: a public bucket endpoint, a CDN in front of one, or the image-worker's own server. */
    static ImageLinks under(String base) {
        String prefix = base.endsWith("/") ? base : base + "/";
        return image -> prefix + image.key();
    }
}
