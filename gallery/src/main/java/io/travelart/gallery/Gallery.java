package io.travelart.gallery;

import io.travelart.core.results.RequestResult;
import io.travelart.core.config.KafkaConfig;
import io.travelart.core.config.Topics;
import io.travelart.core.metrics.PriceTable;
import io.travelart.core.serde.DecodeException;
import io.travelart.core.serde.EventSerde;
import io.travelart.events.ImageReady;
import io.travelart.events.KeywordRequested;
import io.travelart.events.PromptCreated;
import io.travelart.events.RequestFailed;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The gallery: a read_committed reader ({@link GalleryFeed}: image-ready and request-failed from the beginning,
 * keyword-requested and prompt-created from {@link #PROGRESS_WINDOW} ago) that feeds {@link GalleryState}, and the web
 * page that shows it live.
 */
public final class Gallery implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Gallery.class);
    /**
     * How far back a start reads the steps of requests (asked for, prompt written) for their progress cards: long
     * enough for the batch lane's day, short enough that a start does not read every request ever made.
     */
    static final Duration PROGRESS_WINDOW = Duration.ofHours(24);

    /**
     * @param host where to listen: 127.0.0.1 keeps the page on this machine
     * @param port 0 picks a free one
     * @param keep the most cards held per lane; older ones are forgotten
     */
    public record Options(String host, int port, int keep) {
    }

    private final GalleryFeed watcher;
    private final GalleryState state;
    private final GalleryServer server;
    private final Thread feed;
    private final CountDownLatch caughtUp = new CountDownLatch(1);
    private final String host;

    private Gallery(GalleryFeed watcher, GalleryState state, GalleryServer server, String host, EventSerde serde, Topics topics) {
        this.watcher = watcher;
        this.state = state;
        this.server = server;
        this.host = host;
        this.feed = new Thread(() -> feed(serde, topics), "gallery-feed");
        this.feed.setDaemon(true);
    }

    public static Gallery start(KafkaConfig kafka, EventSerde serde, Topics topics, PriceTable prices, Options options) throws IOException {
        GalleryState state = new GalleryState(options.keep());
        GalleryFeed watcher = new GalleryFeed(kafka, serde, topics, Instant.now().minus(PROGRESS_WINDOW),
                problem -> log.warn("gallery: skipping a record that is not one of our events: {}", problem));
        GalleryServer server;
        try {
            server = GalleryServer.start(options.host(), options.port(), state, new CardHtml(prices));
        } catch (IOException | RuntimeException e) {
            watcher.close();
            throw e;
        }
        Gallery gallery = new Gallery(watcher, state, server, options.host(), serde, topics);
        gallery.feed.start();
        return gallery;
    }

    private void feed(EventSerde serde, Topics topics) {
        try {
            while (true) {
                var results = watcher.poll(Duration.ofMillis(500));
                for (GalleryFeed.Seen seen : results) {
                    switch (seen) {
                        case GalleryFeed.Seen.Result(RequestResult result) -> state.add(withoutOriginal(result), sourceSystem(result, serde, topics));
                        case GalleryFeed.Seen.Asked(KeywordRequested request) -> state.asked(request);
                        case GalleryFeed.Seen.Prompted(PromptCreated created) -> state.prompted(created);
                    }
                }
                if (results.isEmpty()) {
                    caughtUp.countDown();
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            log.error("gallery: reading the results failed; the page shows no new ones", e);
        } finally {
            watcher.close();
        }
    }

    /**
     * What the page keeps of a result: a failure without the original value and headers it carries (up to 80 KiB each,
     * never shown; the key, at most 1 KiB, names an unreadable input's card), so that the newest 10,000 failures hold
     * their cards, not their inputs.
     */
    private static RequestResult withoutOriginal(RequestResult result) {
        if (result instanceof RequestResult.Failed failed && failed.event().getOriginalValue() != null) {
            return new RequestResult.Failed(RequestFailed.newBuilder(failed.event()).setOriginalValue(null)
                    .setOriginalHeaders(java.util.List.of()).build());
        }
        return result;
    }

    /** A failure carries the original request's bytes: its source system is read from them. */
    private static String sourceSystem(RequestResult result, EventSerde serde, Topics topics) {
        return switch (result) {
            case RequestResult.Ready(ImageReady ready) -> ready.getRequest().getSourceSystem();
            case RequestResult.Failed(RequestFailed failed) -> sourceSystem(failed, serde, topics);
        };
    }

    private static String sourceSystem(RequestFailed failed, EventSerde serde, Topics topics) {
        ByteBuffer value = failed.getOriginalValue();
        if (value == null) {
            return null;
        }
        byte[] bytes = new byte[value.remaining()];
        value.duplicate().get(bytes);
        try {
            if (failed.getOriginTopic().equals(topics.keywordRequested())) {
                return serde.deserialize(bytes, KeywordRequested.class).getSourceSystem();
            }
            if (failed.getOriginTopic().equals(topics.promptCreated())) {
                return serde.deserialize(bytes, PromptCreated.class).getRequest().getSourceSystem();
            }
        } catch (DecodeException e) {
            // an input that could not be read has no source to show
        }
        return null;
    }

    /** Waits until what was in the topics when the gallery started has been read (or the time is up). */
    public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
        return caughtUp.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The page's address; a wildcard host is shown as localhost. */
    public String url() {
        String shown = host.equals("0.0.0.0") || host.equals("::") ? "localhost" : host.contains(":") ? "[" + host + "]" : host;
        return "http://" + shown + ":" + server.port() + "/";
    }

    @Override
    public void close() {
        watcher.wakeup();
        try {
            feed.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        server.close();
    }
}
