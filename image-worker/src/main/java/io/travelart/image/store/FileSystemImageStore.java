package io.travelart.image.store;

import io.travelart.image.ImageFormat;
import io.travelart.image.ImageStore;
import io.travelart.image.StoredImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Images as files in one directory, named by request id.
 * Writes go to a temporary file first and are moved into place, so a reader never sees half an image.
 */
public final class FileSystemImageStore implements ImageStore {

    private static final Pattern SAFE_ID = Pattern.compile("[A-Za-z0-9_-]{1,100}");
    private static final Pattern SAFE_NAME = Pattern.compile("[A-Za-z0-9_-]{1,100}\\.(png|jpg|webp)");

    private final Path root;

    public FileSystemImageStore(Path root) throws IOException {
        this.root = Files.createDirectories(root).toAbsolutePath();
    }

    @Override
    public StoredImage put(String requestId, byte[] bytes, ImageFormat format) throws IOException {
        String name = baseName(requestId) + "." + format.extension();
        Path target = root.resolve(name);
        Path temp = Files.createTempFile(root, ".incoming-", ".tmp");
        try {
            Files.write(temp, bytes);
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temp);
        }
        return new StoredImage(name, target.toString(), format, bytes.length, sha256(bytes));
    }

    @Override
    public Optional<StoredImage> find(String requestId) throws IOException {
        for (String extension : ImageFormat.EXTENSIONS) {
            String name = baseName(requestId) + "." + extension;
            Path file = root.resolve(name);
            if (Files.isRegularFile(file)) {
                byte[] bytes = Files.readAllBytes(file);
                Optional<ImageFormat> format = ImageFormat.of(bytes);
                if (format.isPresent()) {
                    return Optional.of(new StoredImage(name, file.toString(), format.get(), bytes.length, sha256(bytes)));
                }
            }
        }
        return Optional.empty();
    }

    /** The file behind a name from a URL, if there is one; for {@link ImageServer}. */
    public Optional<Path> file(String name) {
        if (!SAFE_NAME.matcher(name).matches()) {
            return Optional.empty();
        }
        Path file = root.resolve(name);
        return Files.isRegularFile(file) ? Optional.of(file) : Optional.empty();
    }

    /** The request id itself when it is file- and URL-safe, else a digest of it. */
    static String baseName(String requestId) {
        if (SAFE_ID.matcher(requestId).matches()) {
            return requestId;
        }
        return "r-" + sha256(requestId.getBytes(StandardCharsets.UTF_8)).substring(0, 40);
    }

    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
