package io.travelart.image.store;

import io.travelart.image.ImageFormat;
import io.travelart.image.ImageLinks;
import io.travelart.image.ImageStore;
import io.travelart.image.RetryingImageStore;
import io.travelart.image.StoredImage;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Images as objects in an S3-compatible bucket (AWS S3, or any server that speaks its API), keyed
 * {@code <prefix><request id>} without an extension, so that "is it stored already?" is one HEAD, the same
 * from every instance on every host. Each object carries its content type, a year-long immutable
 * cache-control, and its sha256, width and height in user metadata (what image-ready reports, read back by
 * that HEAD). SDK retries are off: {@link RetryingImageStore} owns them, within the request's budget.
 * Checksums are computed only where S3 requires them: the SDK's default CRC32 headers break many
 * S3-compatible servers.
 */
public final class S3ImageStore implements ImageStore {

    static final String CACHE_CONTROL = "public, max-age=31536000, immutable";

    private final ImageStoreConfig.S3 config;
    private final S3Client s3;
    private final S3Presigner presigner;

    private S3ImageStore(ImageStoreConfig.S3 config, S3Client s3, S3Presigner presigner) {
        this.config = config;
        this.s3 = s3;
        this.presigner = presigner;
    }

    /** Connects and checks that the bucket is there and readable: a worker with a wrong bucket or key does not start. */
    public static S3ImageStore open(ImageStoreConfig.S3 config) throws IOException {
        AwsCredentialsProvider credentials = config.credentials().<AwsCredentialsProvider>map(c -> StaticCredentialsProvider.create(
                        c.sessionToken().<software.amazon.awssdk.auth.credentials.AwsCredentials>map(
                                token -> AwsSessionCredentials.create(c.accessKeyId(), c.secretAccessKey(), token))
                                .orElseGet(() -> AwsBasicCredentials.create(c.accessKeyId(), c.secretAccessKey()))))
                .orElseGet(() -> DefaultCredentialsProvider.builder().build());
        var client = S3Client.builder()
                .region(Region.of(config.region()))
                .credentialsProvider(credentials)
                .forcePathStyle(config.pathStyle())
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .httpClientBuilder(UrlConnectionHttpClient.builder()
                        .connectionTimeout(Duration.ofSeconds(3))
                        .socketTimeout(Duration.ofSeconds(30)))
                .overrideConfiguration(c -> c.retryStrategy(AwsRetryStrategy.doNotRetry())
                        .apiCallTimeout(Duration.ofSeconds(60)));
        var presigner = S3Presigner.builder()
                .region(Region.of(config.region()))
                .credentialsProvider(credentials)
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(config.pathStyle()).build());
        config.endpoint().ifPresent(endpoint -> {
            client.endpointOverride(endpoint);
            presigner.endpointOverride(endpoint);
        });
        S3ImageStore store = new S3ImageStore(config, client.build(), presigner.build());
        try {
            store.s3.headBucket(b -> b.bucket(config.bucket()));
        } catch (SdkException e) {
            store.close();
            throw new IOException("the bucket " + config.bucket() + config.endpoint().map(u -> " at " + u).orElse("")
                    + " cannot be used: " + e.getMessage(), e);
        }
        return store;
    }

    @Override
    public StoredImage put(String requestId, byte[] bytes, ImageFormat format) throws IOException {
        String key = key(requestId);
        String sha256 = FileSystemImageStore.sha256(bytes);
        try {
            s3.putObject(b -> b.bucket(config.bucket()).key(key)
                    .contentType(format.contentType())
                    .contentLength((long) bytes.length)
                    .cacheControl(CACHE_CONTROL)
                    .metadata(Map.of("sha256", sha256, "width", Integer.toString(format.width()),
                            "height", Integer.toString(format.height()))), RequestBody.fromBytes(bytes));
        } catch (SdkException e) {
            throw failure("PUT", key, e);
        }
        return new StoredImage(key, config.address(key), format, bytes.length, sha256);
    }

    @Override
    public Optional<StoredImage> find(String requestId) throws IOException {
        String key = key(requestId);
        HeadObjectResponse head;
        try {
            head = s3.headObject(b -> b.bucket(config.bucket()).key(key));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return Optional.empty();
            }
            throw failure("HEAD", key, e);
        } catch (SdkException e) {
            throw failure("HEAD", key, e);
        }
        Map<String, String> meta = head.metadata();
        try {
            int width = Integer.parseInt(meta.get("width"));
            int height = Integer.parseInt(meta.get("height"));
            String sha256 = meta.get("sha256");
            String type = head.contentType();
            Optional<ImageFormat> format = ImageFormat.ofContentType(type, width, height);
            if (sha256 != null && sha256.matches("[0-9a-f]{64}") && format.isPresent()) {
                return Optional.of(new StoredImage(key, config.address(key), format.get(), head.contentLength(), sha256));
            }
        } catch (NumberFormatException e) {
            // written by someone else, without our metadata: read the bytes below
        }
        return read(key);
    }

    /** An object without the metadata this store writes: described from its bytes, or taken as absent when it is no image. */
    private Optional<StoredImage> read(String key) throws IOException {
        ResponseBytes<GetObjectResponse> object;
        try {
            object = s3.getObjectAsBytes(b -> b.bucket(config.bucket()).key(key));
        } catch (SdkException e) {
            throw failure("GET", key, e);
        }
        byte[] bytes = object.asByteArray();
        return ImageFormat.of(bytes).map(format -> new StoredImage(key, config.address(key), format, bytes.length,
                FileSystemImageStore.sha256(bytes)));
    }

    /** Public URLs under a base (a CDN or the bucket's public endpoint) when one is set, else presigned GETs. */
    public ImageLinks links(Optional<String> publicBaseUrl) {
        return publicBaseUrl.map(ImageLinks::under).orElseGet(() -> image -> presigner.presignGetObject(p -> p
                .signatureDuration(config.presignLifetime())
                .getObjectRequest(g -> g.bucket(config.bucket()).key(image.key()))).url().toString());
    }

    String key(String requestId) {
        return config.prefix() + FileSystemImageStore.baseName(requestId);
    }

    private IOException failure(String operation, String key, SdkException e) {
        return new IOException(operation + " " + config.address(key) + " failed: " + e.getMessage(), e);
    }

    @Override
    public void close() {
        s3.close();
        presigner.close();
    }
}
