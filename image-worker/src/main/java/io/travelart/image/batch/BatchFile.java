package io.travelart.image.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.openai.core.ObjectMappers;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * An output or error file of the Batch API, read one line at a time as it downloads: a file of 500 images is 1 to 1.7
 * GB, and only the line being read is held. A line over the limit is passed over without being held. Lines are counted
 * as they are read (blank ones are passed over and not counted), so that a lane answering a batch in chunks can record
 * how far it got and, after a crash, {@link #skip} that many lines of the same file without parsing them.
 */
final class BatchFile implements Closeable {

    /** One line of the file: the JSON object naming its request, or null when it is not one (or over the limit). */
    record Line(JsonNode json) {
        boolean readable() {
            return json != null;
        }
    }

    private static final JsonMapper JSON = ObjectMappers.jsonMapper();

    private final InputStream in;
    private final int maxLineBytes;
    private final byte[] chunk = new byte[64 * 1024];
    private final ByteArrayOutputStream line = new ByteArrayOutputStream(8 * 1024);
    private int from;
    private int end;
    private boolean eof;

    BatchFile(InputStream in, int maxLineBytes) {
        this.in = in;
        this.maxLineBytes = maxLineBytes;
    }

    private static final int END = -1;
    private static final int BLANK = 0;
    private static final int KEPT = 1;
    private static final int TOO_LONG = 2;

    /** The next line that is not blank; null at the end of the file. */
    Line next() throws IOException {
        while (true) {
            switch (readLine(true)) {
                case END:
                    return null;
                case TOO_LONG:
                    return new Line(null);
                case KEPT:
                    String text = line.toString(StandardCharsets.UTF_8);
                    line.reset();
                    return new Line(parse(text).orElse(null));
                default:
                    break; // blank: passed over
            }
        }
    }

    /**
     * Whether nothing but white space is left, reading ahead without taking a line: a lane that has read a chunk's
     * worth of lines then knows whether the file is done, and writes the batch's end with that chunk.
     */
    boolean atEnd() throws IOException {
        while (true) {
            while (from < end) {
                byte b = chunk[from];
                if (b != '\n' && b != ' ' && b != '\t' && b != '\r' && b != '\f') {
                    return false;
                }
                from++; // blank so far: passed over, as next and skip pass over blank lines
            }
            int n = eof ? -1 : in.read(chunk);
            from = 0;
            end = Math.max(n, 0);
            if (n == -1) {
                eof = true;
                return true;
            }
        }
    }

    /** Passes over the next {@code lines} lines that are not blank, holding none of them; returns how many there were. */
    long skip(long lines) throws IOException {
        long skipped = 0;
        while (skipped < lines) {
            int read = readLine(false);
            if (read == END) {
                break;
            }
            if (read != BLANK) {
                skipped++;
            }
        }
        return skipped;
    }

    /**
     * Reads to the end of a line, keeping it in {@link #line} when asked and not over the limit. Blank means no byte but
     * ASCII white space, judged the same way whether kept or not, so that {@link #skip} counts as {@link #next} does.
     */
    private int readLine(boolean keep) throws IOException {
        boolean tooLong = !keep;
        boolean any = false;
        boolean content = false;
        line.reset();
        while (true) {
            if (from == end) {
                int n = eof ? -1 : in.read(chunk);
                from = 0;
                end = Math.max(n, 0);
                if (n == -1) {
                    eof = true;
                    return !any ? END : outcome(content, tooLong, keep);
                }
            }
            any = true;
            int i = from;
            while (i < end && chunk[i] != '\n') {
                byte b = chunk[i];
                if (b != ' ' && b != '\t' && b != '\r' && b != '\f') {
                    content = true;
                }
                i++;
            }
            if (!tooLong) {
                line.write(chunk, from, i - from);
                if (line.size() > maxLineBytes) {
                    tooLong = true; // read on to the end of the line without keeping it
                    line.reset();
                }
            }
            boolean ended = i < end;
            from = ended ? i + 1 : i;
            if (ended) {
                return outcome(content, tooLong, keep);
            }
        }
    }

    private int outcome(boolean content, boolean tooLong, boolean keep) {
        if (!content) {
            line.reset();
            return BLANK;
        }
        return keep && !tooLong ? KEPT : TOO_LONG;
    }

    /** One line's text: a JSON object naming its request ({@code custom_id}), else empty. Never throws. */
    static Optional<JsonNode> parse(String text) {
        if (text.isBlank()) {
            return Optional.empty();
        }
        try {
            JsonNode line = JSON.readTree(text);
            return line != null && line.isObject() && line.path("custom_id").isTextual() ? Optional.of(line) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
