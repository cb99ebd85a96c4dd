package io.travelart.core.engine;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * The headers of the events we publish, in forms other tools read: W3C trace context ({@code traceparent},
 * carried from input to output with a new span id, so a request is one trace across the stages), CloudEvents
 * binary mode ({@code ce_id}, {@code ce_type}, {@code ce_source}, {@code ce_specversion}, {@code ce_time},
 * {@code ce_subject}, {@code content-type}), and our own {@link #REPLAY_COUNT}, carried through the stages.
 * A failure event's own headers are made the same way; the input's headers it holds are kept whole in its payload.
 */
public final class EventHeaders {

    /** How many times {@code travelart replay} has republished this request (ASCII decimal). */
    public static final String REPLAY_COUNT = "travelart-replay-count";
    public static final String TRACEPARENT = "traceparent";
    public static final String TRACESTATE = "tracestate";
    public static final String CE_ID = "ce_id";
    public static final String CE_TYPE = "ce_type";
    public static final String CE_SOURCE = "ce_source";
    public static final String CE_SPECVERSION = "ce_specversion";
    public static final String CE_TIME = "ce_time";
    public static final String CE_SUBJECT = "ce_subject";
    public static final String CONTENT_TYPE = "content-type";
    /** Avro in the Confluent wire format (magic byte, schema id, Avro binary). */
    public static final String AVRO = "application/avro";

    private static final Set<String> CARRIED = Set.of(REPLAY_COUNT, TRACESTATE);
    /** W3C caps tracestate at 512 characters; a longer carried header is not carried on. */
    private static final int MAX_CARRIED_BYTES = 512;
    private static final Pattern TRACEPARENT_FORMAT = Pattern.compile("00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})");
    private static final String NO_TRACE = "0".repeat(32);

    private EventHeaders() {
    }

    /**
     * The headers of a keyword-requested event as Travelart's own publishers write it (the command, the HTTP API): a new
     * trace, the request's source system as the CloudEvents source ({@code /travelart-cli} when it has none).
     */
    public static Headers forRequest(io.travelart.events.KeywordRequested request) {
        String source = request.getSourceSystem() == null ? "travelart-cli" : request.getSourceSystem();
        return forNew(io.travelart.events.KeywordRequested.getClassSchema().getFullName(),
                "/" + java.net.URLEncoder.encode(source, java.nio.charset.StandardCharsets.UTF_8), request.getRequestId(),
                request.getRequestedAt());
    }

    /** The headers of an event that starts a request (a new trace). */
    public static Headers forNew(String type, String source, String subject, Instant time) {
        RecordHeaders output = new RecordHeaders();
        new Template(type, source).addEvent(output, hex(16), "01", subject, time);
        return output;
    }

    /**
     * The headers of one kind of event from one source, with their constant parts encoded once: a stage
     * publishes thousands of records a second, each with the same type, source, version and content type.
     */
    public static final class Template {
        private final byte[] type;
        private final byte[] source;
        private static final byte[] SPEC_VERSION = ascii("1.0");
        private static final byte[] CONTENT = ascii(AVRO);

        public Template(String type, String source) {
            this.type = ascii(type);
            this.source = ascii(source);
        }

        /**
         * The headers of an event made from an input record: its carried headers, the same trace with a new
         * span, and CloudEvents attributes for this event.
         */
        public Headers forOutput(Headers input, String subject, Instant time) {
            RecordHeaders output = new RecordHeaders();
            String trace = null;
            String flags = "01";
            for (Header header : input) {
                if (CARRIED.contains(header.key()) && (header.value() == null || header.value().length <= MAX_CARRIED_BYTES)) {
                    output.add(header.key(), header.value());
                } else if (TRACEPARENT.equals(header.key()) && header.value() != null) {
                    var parent = TRACEPARENT_FORMAT.matcher(new String(header.value(), StandardCharsets.US_ASCII).trim());
                    if (parent.matches() && !parent.group(1).equals(NO_TRACE)) {
                        trace = parent.group(1);
                        flags = parent.group(3);
                    }
                }
            }
            addEvent(output, trace == null ? hex(16) : trace, flags, subject, time);
            return output;
        }

        private void addEvent(RecordHeaders headers, String trace, String flags, String subject, Instant time) {
            headers.add(TRACEPARENT, ascii("00-" + trace + "-" + hex(8) + "-" + flags));
            headers.add(CE_SPECVERSION, SPEC_VERSION);
            headers.add(CE_ID, ascii(randomUuid().toString()));
            headers.add(CE_TYPE, type);
            headers.add(CE_SOURCE, source);
            headers.add(CE_TIME, ascii(time.toString()));
            if (subject != null) {
                headers.add(CE_SUBJECT, subject.getBytes(StandardCharsets.UTF_8));
            }
            headers.add(CONTENT_TYPE, CONTENT);
        }
    }

    /** The trace id of a traceparent header value, if it is one. */
    public static java.util.Optional<String> traceId(byte[] traceparent) {
        if (traceparent == null) {
            return java.util.Optional.empty();
        }
        var m = TRACEPARENT_FORMAT.matcher(new String(traceparent, StandardCharsets.US_ASCII).trim());
        return m.matches() ? java.util.Optional.of(m.group(1)) : java.util.Optional.empty();
    }

    /** The replay count a header value says; 0 when absent or not a number (nobody but replay writes it). */
    public static int replayCount(byte[] value) {
        if (value == null) {
            return 0;
        }
        try {
            return Math.max(0, Integer.parseInt(new String(value, StandardCharsets.US_ASCII).trim()));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    public static byte[] replayCountValue(int count) {
        return ascii(Integer.toString(count));
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Ids need to be unique, not secret: ThreadLocalRandom, not SecureRandom, whose shared lock cost a third
     * of the engine's throughput in {@code travelart bench --processor noop}.
     */
    private static String hex(int bytes) {
        byte[] random = new byte[bytes];
        do {
            ThreadLocalRandom.current().nextBytes(random);
        } while (allZero(random)); // all-zero ids are invalid in trace context
        return HexFormat.of().formatHex(random);
    }

    /** A version 4 (random) UUID. */
    private static UUID randomUuid() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long high = (random.nextLong() & ~0xF000L) | 0x4000L;
        long low = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new UUID(high, low);
    }

    private static boolean allZero(byte[] bytes) {
        for (byte b : bytes) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }
}
