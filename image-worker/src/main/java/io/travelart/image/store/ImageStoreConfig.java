package io.travelart.image.store;

import io.travelart.core.config.ConfigException;
import io.travelart.core.config.Settings;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Where the image-worker keeps images, chosen by {@code TRAVELART_IMAGE_STORE}: {@code dir} (the default)
 * or {@code s3}. See {@link Directory} and {@link S3} for their settings.
 */
public sealed interface ImageStoreConfig {

    /** The longest a SigV4 presigned URL can live. */
    Duration LONGEST_PRESIGN = Duration.ofDays(7);

    /** Files in {@code TRAVELART_IMAGE_DIR} (travelart-data/images), served by the worker's own HTTP server. */
    record Directory(Path dir) implements ImageStoreConfig {
    }

    /**
     * An S3-compatible bucket: {@code TRAVELART_S3_BUCKET} (required), {@code TRAVELART_S3_PREFIX} (images/),
     * {@code TRAVELART_S3_ENDPOINT} (unset for AWS itself), {@code TRAVELART_S3_REGION} (us-east-1),
     * {@code TRAVELART_S3_PATH_STYLE} (true when an endpoint is set), and for the published URLs either
     * {@code TRAVELART_IMAGE_PUBLIC_BASE_URL} (then {@code <base>/<key>}) or presigned GET URLs that live
     * {@code TRAVELART_S3_PRESIGN_LIFETIME} (7d, the longest S3 allows). Credentials come from the AWS SDK's
     * default chain (environment, profile, web identity, container or instance role); {@code AWS_ACCESS_KEY_ID}
     * and {@code AWS_SECRET_ACCESS_KEY} are read from the worker's settings first, so a properties file may hold them.
     */
    record S3(String bucket, String prefix, Optional<URI> endpoint, String region, boolean pathStyle,
              Duration presignLifetime, Optional<Credentials> credentials) implements ImageStoreConfig {

        public S3 {
            if (!prefix.isEmpty() && !prefix.endsWith("/")) {
                prefix = prefix + "/";
            }
        }

        /** An access key from the settings; its secret is never printed. */
        public record Credentials(String accessKeyId, String secretAccessKey, Optional<String> sessionToken) {
            @Override
            public String toString() {
                return "Credentials[accessKeyId=" + accessKeyId + ", secretAccessKey=***]";
            }
        }

        public String address(String key) {
            return "s3://" + bucket + "/" + key;
        }
    }

    static ImageStoreConfig from(Settings settings) {
        String kind = settings.string("TRAVELART_IMAGE_STORE", "dir");
        return switch (kind) {
            case "dir" -> new Directory(Path.of(settings.string("TRAVELART_IMAGE_DIR", "travelart-data/images")));
            case "s3" -> s3(settings);
            default -> throw new ConfigException("TRAVELART_IMAGE_STORE=" + kind + " is not accepted: expected dir or s3");
        };
    }

    private static S3 s3(Settings settings) {
        String bucket = settings.required("TRAVELART_S3_BUCKET", "the bucket of the S3 image store (TRAVELART_IMAGE_STORE=s3)");
        Optional<URI> endpoint = settings.optional("TRAVELART_S3_ENDPOINT").map(text -> {
            try {
                URI uri = new URI(text);
                if (uri.getScheme() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https")) || uri.getHost() == null) {
                    throw new URISyntaxException(text, "not an http(s) URL");
                }
                return uri;
            } catch (URISyntaxException e) {
                throw new ConfigException("TRAVELART_S3_ENDPOINT=" + text + " is not accepted: expected an http(s) URL such as http://s3.local:9000");
            }
        });
        Duration lifetime = settings.duration("TRAVELART_S3_PRESIGN_LIFETIME", LONGEST_PRESIGN);
        if (lifetime.isNegative() || lifetime.isZero() || lifetime.compareTo(LONGEST_PRESIGN) > 0) {
            throw new ConfigException("TRAVELART_S3_PRESIGN_LIFETIME=" + lifetime + " is not accepted: expected more than 0 and at most 7d");
        }
        Optional<S3.Credentials> credentials = settings.optional("AWS_ACCESS_KEY_ID").map(id -> new S3.Credentials(id,
                settings.required("AWS_SECRET_ACCESS_KEY", "the secret of AWS_ACCESS_KEY_ID"),
                settings.optional("AWS_SESSION_TOKEN")));
        return new S3(bucket, settings.string("TRAVELART_S3_PREFIX", "images/"), endpoint,
                settings.string("TRAVELART_S3_REGION", "us-east-1"),
                settings.bool("TRAVELART_S3_PATH_STYLE", endpoint.isPresent()), lifetime, credentials);
    }
}
