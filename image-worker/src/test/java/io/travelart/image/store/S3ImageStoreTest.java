package io.travelart.image.store;

import io.travelart.image.ImageFormat;
import io.travelart.image.StoredImage;
import io.travelart.core.config.ConfigException;
import io.travelart.core.config.Settings;
import io.travelart.devstack.s3.S3MockServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The S3 image store against a real S3 server: Adobe's S3Mock as a child process. */
class S3ImageStoreTest {

    private static final String BUCKET = "travelart-images";

    @TempDir
    static Path data;

    private static S3MockServer server;
    private static byte[] png;

    @BeforeAll
    static void start() throws IOException {
        server = S3MockServer.start(data, List.of(BUCKET));
        BufferedImage image = new BufferedImage(48, 32, BufferedImage.TYPE_INT_RGB);
        image.setRGB(3, 4, 0xff8800);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        png = out.toByteArray();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static ImageStoreConfig.S3 config(Map<String, String> extra) {
        Map<String, String> settings = new HashMap<>(Map.of("TRAVELART_IMAGE_STORE", "s3", "TRAVELART_S3_BUCKET", BUCKET,
                "TRAVELART_S3_ENDPOINT", server.endpoint(), "AWS_ACCESS_KEY_ID", "test-key", "AWS_SECRET_ACCESS_KEY", "test-secret"));
        settings.putAll(extra);
        return (ImageStoreConfig.S3) ImageStoreConfig.from(Settings.of(settings));
    }

    private static HttpResponse<byte[]> get(String url) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void anImageIsOneObjectKeyedByRequestIdWithItsTypeCacheControlAndHashAndOneHeadFindsItAgain() throws Exception {
        try (S3ImageStore store = S3ImageStore.open(config(Map.of()))) {
            assertThat(store.find("req-s3-1")).isEmpty();

            StoredImage put = store.put("req-s3-1", png, ImageFormat.of(png).orElseThrow());
            assertThat(put.key()).isEqualTo("images/req-s3-1");
            assertThat(put.address()).isEqualTo("s3://" + BUCKET + "/images/req-s3-1");
            assertThat(put.sha256()).isEqualTo(FileSystemImageStore.sha256(png));

            StoredImage found = store.find("req-s3-1").orElseThrow();
            assertThat(found).isEqualTo(put);
            assertThat(found.format().width()).isEqualTo(48);
            assertThat(found.format().height()).isEqualTo(32);

            // What a subscriber gets: the bytes, their content type and a long cache lifetime.
            HttpResponse<byte[]> object = get(server.endpoint() + "/" + BUCKET + "/" + put.key());
            assertThat(object.statusCode()).isEqualTo(200);
            assertThat(object.body()).isEqualTo(png);
            assertThat(object.headers().firstValue("Content-Type")).contains("image/png");
            assertThat(object.headers().firstValue("Cache-Control")).contains(S3ImageStore.CACHE_CONTROL);
            assertThat(object.headers().firstValue("x-amz-meta-sha256")).contains(put.sha256());
        }
    }

    @Test
    void presignedUrlsServeTheImageAndSayWhenTheyExpire() throws Exception {
        try (S3ImageStore store = S3ImageStore.open(config(Map.of("TRAVELART_S3_PRESIGN_LIFETIME", "2h")))) {
            StoredImage put = store.put("req-s3-presigned", png, ImageFormat.of(png).orElseThrow());
            String url = store.links(Optional.empty()).url(put);

            assertThat(url).startsWith(server.endpoint() + "/" + BUCKET + "/images/req-s3-presigned?")
                    .contains("X-Amz-Expires=7200").contains("X-Amz-Signature=").doesNotContain("test-secret");
            HttpResponse<byte[]> object = get(url);
            assertThat(object.statusCode()).isEqualTo(200);
            assertThat(object.body()).isEqualTo(png);
        }
    }

    @Test
    void aPublicBaseUrlGivesPlainUrlsUnderIt() throws Exception {
        try (S3ImageStore store = S3ImageStore.open(config(Map.of()))) {
            StoredImage put = store.put("req-s3-public", png, ImageFormat.of(png).orElseThrow());
            assertThat(store.links(Optional.of("https://cdn.example.com/")).url(put))
                    .isEqualTo("https://cdn.example.com/images/req-s3-public");
            assertThat(store.links(Optional.of(server.endpoint() + "/" + BUCKET)).url(put))
                    .satisfies(url -> assertThat(get(url).body()).isEqualTo(png));
        }
    }

    @Test
    void aMissingBucketStopsTheWorkerAtStartWithItsName() {
        assertThatThrownBy(() -> S3ImageStore.open(config(Map.of("TRAVELART_S3_BUCKET", "no-such-bucket"))))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("the bucket no-such-bucket at " + server.endpoint() + " cannot be used");
    }

    @Test
    void settingsAreCheckedAndTheSecretIsNeverPrinted() {
        assertThat(config(Map.of()).toString()).contains("test-key").doesNotContain("test-secret");
        assertThat(config(Map.of()).pathStyle()).isTrue();
        assertThat(config(Map.of("TRAVELART_S3_PREFIX", "art")).prefix()).isEqualTo("art/");
        assertThatThrownBy(() -> config(Map.of("TRAVELART_S3_PRESIGN_LIFETIME", "8d")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("at most 7d");
        assertThatThrownBy(() -> config(Map.of("TRAVELART_S3_ENDPOINT", "s3.local:9000")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("TRAVELART_S3_ENDPOINT");
        assertThatThrownBy(() -> ImageStoreConfig.from(Settings.of(Map.of("TRAVELART_IMAGE_STORE", "s3"))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("TRAVELART_S3_BUCKET is not set");
        assertThatThrownBy(() -> ImageStoreConfig.from(Settings.of(Map.of("TRAVELART_IMAGE_STORE", "gcs"))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("expected dir or s3");
    }
}
