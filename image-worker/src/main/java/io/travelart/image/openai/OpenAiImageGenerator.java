package io.travelart.image.openai;

import com.openai.client.OpenAIClient;
import com.openai.models.images.ImageGenerateParams;
import io.travelart.image.GeneratedImage;
import io.travelart.image.ImageGenerator;
import io.travelart.image.ImageMemory;
import io.travelart.image.ImageSize;
import io.travelart.image.download.BoundedDownload;
import io.travelart.image.download.ImageDownloadException;
import io.travelart.core.images.ImageModels;
import io.travelart.core.openai.OpenAiClients;

import java.io.IOException;
import io.travelart.events.RequestBounds;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

/**
 * Calls the images API, of OpenAI or of a server that speaks it (LocalAI, vLLM-Omni). gpt-image models answer base64
 * only; DALL·E-style providers and LocalAI may answer with a URL that expires, so such an image is downloaded at once.
 * {@code quality} and {@code output_format} go to GPT image models only: other servers ignore or refuse them.
 */
public final class OpenAiImageGenerator implements ImageGenerator {

    private final OpenAIClient client;
    private final String model;
    private final HttpClient download;
    private final Duration downloadTimeout;
    private final String outputFormat;
    private final Optional<Integer> compression;
    private final ImageMemory memory;

    public OpenAiImageGenerator(OpenAIClient client, String model, Duration downloadTimeout) {
        this(client, model, "png", Optional.empty(), downloadTimeout, ImageMemory.UNBOUNDED);
    }

    /**
     * @param outputFormat png, webp or jpeg; sent, with {@code compression}, to GPT image models only
     * @param memory       the room an answer waits for before it is read
     */
    public OpenAiImageGenerator(OpenAIClient client, String model, String outputFormat, Optional<Integer> compression,
                                Duration downloadTimeout, ImageMemory memory) {
        this.client = client;
        this.memory = memory;
        this.model = model;
        this.outputFormat = outputFormat;
        this.compression = compression;
        this.downloadTimeout = downloadTimeout;
        // Redirects are BoundedDownload's to follow: only to the same host.
        this.download = HttpClient.newBuilder().connectTimeout(downloadTimeout).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    @Override
    public GeneratedImage generate(String requestId, String prompt, ImageSize size, String quality) {
        // The raw response arrives with its headers (an error status is thrown here); its body, the image, is read only
        // once there is room for it.
        try (var answer = client.images().withRawResponse().generate(params(requestId, prompt, size, quality))) {
            memory.enter();
            return image(ImagesAnswer.read(answer.body(), BoundedDownload.MAX_IMAGE_BYTES));
        }
    }

    /** The request for one image: what the synchronous call sends, and the body of a batch line. */
    public ImageGenerateParams params(String requestId, String prompt, ImageSize size, String quality) {
        ImageGenerateParams.Builder params = ImageGenerateParams.builder()
                .model(model)
                .prompt(prompt)
                .n(1)
                .size(ImageGenerateParams.Size.of(size.toString()))
                .putAdditionalHeader(OpenAiClients.REQUEST_ID_HEADER, requestId);
        // Other models refuse these parameters (DALL·E) or may not know them (OpenAI-compatible servers).
        if (ImageModels.gptImage(model)) {
            params.quality(ImageGenerateParams.Quality.of(quality))
                    .outputFormat(ImageGenerateParams.OutputFormat.of(outputFormat));
            compression.ifPresent(c -> params.outputCompression(c.longValue()));
        }
        return params.build();
    }

    /** The image of an answer: from the synchronous call, or from a batch line's response body. */
    public GeneratedImage image(ImagesAnswer answer) {
        byte[] bytes = answer.image() != null ? answer.image() : fetch(answer.url());
        return new GeneratedImage(bytes, answer.revisedPrompt(), model, answer.usage());
    }

    private byte[] fetch(String url) {
        try {
            URI uri = URI.create(url);
            if (!"https".equalsIgnoreCase(uri.getScheme()) && !"http".equalsIgnoreCase(uri.getScheme())) {
                throw new ImageDownloadException("the image's URL is not http(s): " + RequestBounds.shown(url), true, null);
            }
            HttpResponse<byte[]> response = BoundedDownload.send(download, HttpRequest.newBuilder(uri).timeout(downloadTimeout).build(),
                    BoundedDownload.MAX_IMAGE_BYTES, downloadTimeout);
            if (response.statusCode() != 200) {
                throw new ImageDownloadException("downloading the image answered HTTP " + response.statusCode(), null);
            }
            return response.body();
        } catch (IllegalArgumentException e) {
            throw new ImageDownloadException("the image's URL is not one: " + RequestBounds.shown(url), true, e);
        } catch (BoundedDownload.DownloadException e) {
            // Too large or sent elsewhere: what the provider answered is refused; a timeout or a broken body is the network's.
            throw new ImageDownloadException("downloading the image failed: " + e.getMessage(), e.refused(), e);
        } catch (IOException e) {
            throw new ImageDownloadException("downloading the image failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ImageDownloadException("interrupted while downloading the image", e);
        }
    }
}
