package io.travelart.gallery;

import io.travelart.core.metrics.PriceTable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The gallery's HTTP side without a browser: the page, paging through thousands of cards, and the event stream. */
class GalleryServerTest {

    private static final Pattern SEQ = Pattern.compile("data-seq=\"(\\d+)\"");
    private final HttpClient http = HttpClient.newHttpClient();
    private GalleryState state;
    private GalleryServer server;

    @BeforeEach
    void start() throws Exception {
        state = new GalleryState(20_000);
        server = GalleryServer.start("127.0.0.1", 0, state, new CardHtml(PriceTable.parse("")));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static List<Long> seqs(String html) {
        List<Long> seqs = new ArrayList<>();
        Matcher m = SEQ.matcher(html);
        while (m.find()) {
            seqs.add(Long.parseLong(m.group(1)));
        }
        return seqs;
    }

    @Test
    void tenThousandImagesArePagedSixtyAtATimeAndEveryOneIsReachedOnce() throws Exception {
        for (int i = 1; i <= 10_000; i++) {
            state.add(GalleryStateTest.ready("r" + i, "Kyoto " + i, "web", "http://images.example/r" + i), "web");
        }
        long started = System.nanoTime();
        HttpResponse<String> page = get("/");
        long pageMs = (System.nanoTime() - started) / 1_000_000;
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).contains("text/html; charset=utf-8");
        List<Long> first = seqs(page.body());
        assertThat(first).hasSize(GalleryServer.PAGE).first().isEqualTo(10_000L);
        assertThat(page.body()).contains("data-last-seq=\"10000\"").contains("data-kind=\"ready\">Older images");

        List<Long> all = new ArrayList<>(first);
        long slowestMs = 0;
        while (true) {
            long t = System.nanoTime();
            HttpResponse<String> more = get("/cards?kind=ready&before=" + all.get(all.size() - 1));
            slowestMs = Math.max(slowestMs, (System.nanoTime() - t) / 1_000_000);
            all.addAll(seqs(more.body()));
            if (!more.headers().firstValue("X-More").orElseThrow().equals("true")) {
                break;
            }
        }
        System.out.printf("gallery with 10000 images: first page in %d ms, %d pages, slowest %d ms%n", pageMs,
                (all.size() + GalleryServer.PAGE - 1) / GalleryServer.PAGE, slowestMs);
        assertThat(all).hasSize(10_000).doesNotHaveDuplicates().isSortedAccordingTo((a, b) -> Long.compare(b, a));
    }

    @Test
    void theStreamSendsWhatCameAfterThePageThenEachNewCardThatMatches() throws Exception {
        state.add(GalleryStateTest.ready("r1", "Paris", "web", "http://images.example/r1"), "web");
        long seen = state.lastSeq();
        state.add(GalleryStateTest.ready("r2", "Kyoto in autumn rain", "web", "http://images.example/r2"), "web");

        HttpResponse<java.io.InputStream> stream = http.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.port() + "/events?q=kyoto&after=" + seen)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(stream.headers().firstValue("Content-Type")).contains("text/event-stream; charset=utf-8");
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
            assertThat(reader.readLine()).isEqualTo("retry: 2000");
            assertThat(reader.readLine()).isEmpty();
            // Missed between the page and the stream: r2.
            assertThat(reader.readLine()).isEqualTo("id: 2");
            assertThat(reader.readLine()).isEqualTo("event: ready");
            assertThat(reader.readLine()).startsWith("data: <article class=\"card image\" data-request-id=\"r2\"");
            assertThat(reader.readLine()).isEmpty();

            state.add(GalleryStateTest.ready("r3", "Paris again", "web", "http://images.example/r3"), "web"); // filtered out
            state.add(GalleryStateTest.failed("r4", "Kyoto by night", "UPSTREAM_5XX", true), "web");
            assertThat(reader.readLine()).isEqualTo("id: 4");
            assertThat(reader.readLine()).isEqualTo("event: failed");
            assertThat(reader.readLine()).startsWith("data: <article class=\"card failure\" data-request-id=\"r4\"");
        }
    }

    @Test
    void unknownPathsAndMethodsAreRefused() throws Exception {
        assertThat(get("/nope").statusCode()).isEqualTo(404);
        assertThat(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/"))
                .POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(405);
        assertThat(get("/gallery.js").body()).contains("EventSource");
    }

    @Test
    void oneClientGetsSixEventStreamsAndNoMoreWhilePagesStillAnswer() throws Exception {
        List<HttpResponse<java.io.InputStream>> open = new ArrayList<>();
        try {
            for (int i = 0; i < GalleryServer.MAX_STREAMS_PER_CLIENT; i++) {
                HttpResponse<java.io.InputStream> stream = http.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.port() + "/events")).build(), HttpResponse.BodyHandlers.ofInputStream());
                assertThat(stream.statusCode()).isEqualTo(200);
                open.add(stream);
            }
            HttpResponse<String> seventh = get("/events");
            assertThat(seventh.statusCode()).isEqualTo(429);
            assertThat(seventh.body()).contains("more than 6 open streams");
            assertThat(get("/health").statusCode()).isEqualTo(200);
        } finally {
            for (HttpResponse<java.io.InputStream> stream : open) {
                stream.body().close();
            }
        }
    }
}
