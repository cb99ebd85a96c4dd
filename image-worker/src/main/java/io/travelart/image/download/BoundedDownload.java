package io.travelart.image.download;

import io.travelart.core.time.Time;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * An HTTP exchange whose answer cannot be turned against the worker: the whole exchange, body included,
 * within a deadline (the JDK client's own timeout ends when the headers arrive, so an endless body would
 * run on); a body over {@code maxBytes} refused as soon as it says so ({@code Content-Length}) or grows past
 * it; and redirects followed only to the same scheme, host and port, at most {@value #MAX_REDIRECTS} times
 * (a provider's answer must not steer the worker to an internal address). The client given must not follow
 * redirects itself.
 */
public final class BoundedDownload {

    static final int MAX_REDIRECTS = 3;
    /**
     * The largest image taken from a URL or a server's file endpoint: a 4096x4096 PNG of incompressible detail is
     * 48 MiB, a 1024x1024 one 1.5 to 3 MiB; OpenAI's base64 answers stop at Jackson's 20M-character strings (15 MiB).
     */
    public static final long MAX_IMAGE_BYTES = 32L << 20;

    /** Why an exchange ended without an answer. */
    public enum Reason {
        /** The body is over the limit. */
        TOO_LARGE,
        /** Redirected to another host, or too often. */
        REDIRECTED,
        /** The answer did not arrive whole within the deadline. */
        TIMED_OUT,
        /** The connection failed or broke. */
        FAILED
    }

    /** What went wrong, and why. */
    public static final class DownloadException extends IOException {
        private final Reason reason;

        DownloadException(String message, Reason reason, Throwable cause) {
            super(message, cause);
            this.reason = reason;
        }

        public Reason reason() {
            return reason;
        }

        /** The answer itself is refused (too large, sent elsewhere), as opposed to the network failing. */
        public boolean refused() {
            return reason == Reason.TOO_LARGE || reason == Reason.REDIRECTED;
        }
    }

    private BoundedDownload() {
    }

    /**
     * Sends the request and reads the answer's body, all within {@code deadline}, following same-origin
     * redirects of a GET.
     */
    public static HttpResponse<byte[]> send(HttpClient client, HttpRequest request, long maxBytes, Duration deadline)
            throws IOException, InterruptedException {
        long end = Time.SYSTEM.nanoTime() + deadline.toNanos();
        HttpRequest current = request;
        for (int hop = 0; ; hop++) {
            HttpResponse<byte[]> response = sendOnce(client, current, maxBytes, end);
            int status = response.statusCode();
            if (status < 300 || status >= 400 || status == 304) {
                return response;
            }
            String location = response.headers().firstValue("location").orElse(null);
            if (location == null || !"GET".equals(current.method())) {
                return response;
            }
            URI next = current.uri().resolve(location);
            if (!sameOrigin(current.uri(), next)) {
                throw new DownloadException("redirected to another host (" + next.getScheme() + "://" + next.getHost()
                        + "); not followed", Reason.REDIRECTED, null);
            }
            if (hop == MAX_REDIRECTS) {
                throw new DownloadException("more than " + MAX_REDIRECTS + " redirects", Reason.REDIRECTED, null);
            }
            current = HttpRequest.newBuilder(current, (name, value) -> true).uri(next).build();
        }
    }

    static boolean sameOrigin(URI a, URI b) {
        return Objects.equals(a.getScheme(), b.getScheme()) && a.getHost() != null && a.getHost().equalsIgnoreCase(b.getHost())
                && port(a) == port(b);
    }

    private static int port(URI uri) {
        return uri.getPort() != -1 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
    }

    private static HttpResponse<byte[]> sendOnce(HttpClient client, HttpRequest request, long maxBytes, long endNanos)
            throws IOException, InterruptedException {
        CompletableFuture<HttpResponse<byte[]>> exchange = client.sendAsync(request, info -> capped(info.headers(), maxBytes));
        try {
            return exchange.get(Math.max(0, endNanos - Time.SYSTEM.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            exchange.cancel(true);
            throw new DownloadException("the answer did not arrive whole within the deadline", Reason.TIMED_OUT, e);
        } catch (InterruptedException e) {
            exchange.cancel(true);
            throw e;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof DownloadException download) {
                throw new DownloadException(download.getMessage(), download.reason(), download);
            }
            if (cause instanceof IOException io) {
                throw new DownloadException(io.getMessage() == null ? io.toString() : io.getMessage(), Reason.FAILED, io);
            }
            throw new DownloadException(String.valueOf(cause), Reason.FAILED, cause);
        }
    }

    /** A body of at most {@code maxBytes}: refused from its Content-Length, else once it grows past the limit. */
    public static HttpResponse.BodySubscriber<byte[]> capped(HttpHeaders headers, long maxBytes) {
        long declared = headers.firstValueAsLong("content-length").orElse(-1);
        if (declared > maxBytes) {
            return refused(new DownloadException("the answer is " + declared + " bytes, more than the limit of " + maxBytes, Reason.TOO_LARGE, null));
        }
        return new Capped(maxBytes);
    }

    private static HttpResponse.BodySubscriber<byte[]> refused(DownloadException error) {
        return new HttpResponse.BodySubscriber<>() {
            private final CompletableFuture<byte[]> body = CompletableFuture.failedFuture(error);

            @Override
            public CompletionStage<byte[]> getBody() {
                return body;
            }

            @Override
            public void onSubscribe(Flow.Subscription subscription) {
                subscription.cancel();
            }

            @Override
            public void onNext(List<ByteBuffer> item) {
            }

            @Override
            public void onError(Throwable throwable) {
            }

            @Override
            public void onComplete() {
            }
        };
    }

    /** Collects the body, cancelling the exchange as soon as it is over the limit. */
    private static final class Capped implements HttpResponse.BodySubscriber<byte[]> {
        private final long max;
        private final CompletableFuture<byte[]> body = new CompletableFuture<>();
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private Flow.Subscription subscription;

        Capped(long max) {
            this.max = max;
        }

        @Override
        public CompletionStage<byte[]> getBody() {
            return body;
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            this.subscription = subscription;
            subscription.request(1);
        }

        @Override
        public void onNext(List<ByteBuffer> buffers) {
            if (body.isDone()) {
                return;
            }
            for (ByteBuffer buffer : buffers) {
                if (bytes.size() + (long) buffer.remaining() > max) {
                    subscription.cancel();
                    body.completeExceptionally(new DownloadException("the answer is more than the limit of " + max + " bytes", Reason.TOO_LARGE, null));
                    return;
                }
                byte[] chunk = new byte[buffer.remaining()];
                buffer.get(chunk);
                bytes.writeBytes(chunk);
            }
            subscription.request(1);
        }

        @Override
        public void onError(Throwable throwable) {
            body.completeExceptionally(throwable);
        }

        @Override
        public void onComplete() {
            body.complete(bytes.toByteArray());
        }
    }
}
