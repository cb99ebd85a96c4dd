package io.travelart.image;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import java.util.Optional;

/** What image bytes are (PNG, JPEG or WebP): content type, file extension and dimensions, read from the header only. */
public record ImageFormat(String contentType, String extension, int width, int height) {

    /** The file extensions of the formats the store keeps. */
    public static final java.util.List<String> EXTENSIONS = java.util.List.of("png", "jpg", "webp");

    /** The content type of a stored file, from its extension. */
    public static String contentTypeOf(String name) {
        return name.endsWith(".png") ? "image/png" : name.endsWith(".webp") ? "image/webp" : "image/jpeg";
    }

    /** The format a stored content type names, with dimensions known from elsewhere (an object's metadata). */
    public static Optional<ImageFormat> ofContentType(String contentType, int width, int height) {
        if (contentType == null) {
            return Optional.empty();
        }
        return switch (contentType) {
            case "image/png" -> Optional.of(new ImageFormat(contentType, "png", width, height));
            case "image/jpeg" -> Optional.of(new ImageFormat(contentType, "jpg", width, height));
            case "image/webp" -> Optional.of(new ImageFormat(contentType, "webp", width, height));
            default -> Optional.empty();
        };
    }

    /**
     * Why this image is not of the size a request asked for, if it is not: subscribers and their browsers get what the
     * request asked for, never a provider's decompression bomb.
     */
    public Optional<String> sizeProblem(ImageSize asked) {
        return width == asked.width() && height == asked.height() ? Optional.empty()
                : Optional.of(width + "x" + height + ", not the " + asked + " asked for");
    }

    public static Optional<ImageFormat> of(byte[] bytes) {
        String contentType;
        String extension;
        if (startsWith(bytes, 0x89, 'P', 'N', 'G')) {
            contentType = "image/png";
            extension = "png";
        } else if (startsWith(bytes, 0xFF, 0xD8, 0xFF)) {
            contentType = "image/jpeg";
            extension = "jpg";
        } else if (startsWith(bytes, 'R', 'I', 'F', 'F') && bytes.length >= 12 && bytes[8] == 'W' && bytes[9] == 'E'
                && bytes[10] == 'B' && bytes[11] == 'P') {
            contentType = "image/webp";
            extension = "webp";
        } else {
            return Optional.empty();
        }
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                return Optional.empty();
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                int width = reader.getWidth(0);
                int height = reader.getHeight(0);
                // A header may say 0 (the fuzzer found a JPEG whose reader does): no image to store or to show.
                return width > 0 && height > 0 ? Optional.of(new ImageFormat(contentType, extension, width, height)) : Optional.empty();
            } finally {
                reader.dispose();
            }
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static boolean startsWith(byte[] bytes, int... prefix) {
        if (bytes.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if ((bytes[i] & 0xff) != prefix[i]) {
                return false;
            }
        }
        return true;
    }
}
