package io.travelart.image.store;

import io.travelart.image.ImageFormat;
import io.travelart.image.StoredImage;

import io.travelart.image.ImageFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class ImageServerTest {

    private static final byte[] PNG = java.util.Base64.getDecoder().decode(
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC");

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<byte[]> get(int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void servesStoredImagesAndNothingElse() throws Exception {
        FileSystemImageStore store = new FileSystemImageStore(dir.resolve("images"));
        StoredImage stored = store.put("req-1", PNG, ImageFormat.of(PNG).orElseThrow());
        Files.writeString(dir.resolve("secret.txt"), "not an image");

        try (ImageServer server = ImageServer.start("127.0.0.1", 0, store)) {
            HttpResponse<byte[]> ok = get(server.port(), "/images/" + stored.key());
            assertThat(ok.statusCode()).isEqualTo(200);
            assertThat(ok.body()).isEqualTo(PNG);
            assertThat(ok.headers().firstValue("Content-Type")).contains("image/png");

            assertThat(get(server.port(), "/images/req-2.png").statusCode()).isEqualTo(404);
            assertThat(get(server.port(), "/images/..%2Fsecret.txt").statusCode()).isEqualTo(404);
            assertThat(get(server.port(), "/images/../secret.txt").statusCode()).isEqualTo(404);
        }
    }

    @Test
    void requestIdsThatAreNotFileSafeGetADigestName() throws Exception {
        FileSystemImageStore store = new FileSystemImageStore(dir);
        StoredImage stored = store.put("../../etc/passwd", PNG, ImageFormat.of(PNG).orElseThrow());

        assertThat(stored.key()).matches("r-[0-9a-f]{40}\\.png");
        assertThat(java.nio.file.Path.of(stored.address()).getParent()).isEqualTo(dir.toAbsolutePath());
        assertThat(ImageFormat.of(PNG).orElseThrow().width()).isEqualTo(1);
    }
}
