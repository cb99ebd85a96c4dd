package io.travelart.gallery;

import io.travelart.core.results.RequestResult;
import io.travelart.core.results.ResultWatcher;
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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The gallery: a read_committed reader of image-ready and request-failed (every partition, from the
 * beginning, no consumer group) that feeds {@link GalleryState}, and the web page that shows it live.
 */
public final class Gallery implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Gallery.class);

    /**
     * @param host where to listen: 127.0.0.1 keeps the page on this machine
     * @param port 0 picks a free one
     * @param keep the most cards held per lane; older ones are forgotten
     */
    public record Options(String host, int port, int keep) {
    }

    private final ResultWatcher watcher;
    private final GalleryState state;
    private final GalleryServer server;
    private final Thread feed;
    private final CountDownLatch caughtUp = new CountDownLatch(1);
    private final String host;

    private Gallery(ResultWatcher watcher, GalleryState state, GalleryServer server, String host, EventSerde serde, Topics topics) {
        this.watcher = watcher;
        this.state = state;
        this.server = server;
        this.host = host;
        this.feed = new Thread(() -> feed(serde, topics), "gallery-feed");
        this.feed.setDaemon(true);
    }

    public static Gallery start(KafkaConfig kafka, EventSerde serde, Topics topics, PriceTable prices, Options options) throws IOException {
        GalleryState state = new GalleryState(options.keep());
        ResultWatcher watcher = new ResultWatcher(kafka, serde, topics, true,
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
                for (RequestResult result : results) {
                    state.add(withoutOriginal(result), sourceSystem(result, serde, topics));
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
