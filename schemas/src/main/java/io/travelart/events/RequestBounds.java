package io.travelart.events;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The bounds of every field of a request, part of the event contract: what a worker accepts before it pays
 * for anything. A request outside them fails as {@code INVALID_INPUT} with a message naming the field and
 * its bound. Both workers check them (the image-worker again on {@code prompt-created}: it trusts nothing it
 * did not write itself). Lengths are in characters (Unicode code points).
 */
public final class RequestBounds {

    /** 1 to 128 of {@code A-Z a-z 0-9 . _ : -}, starting with a letter or digit: a UUID fits, so do most ids. */
    public static final Pattern REQUEST_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");
    public static final int REQUEST_ID_MAX = 128;
    /** The most {@code TRAVELART_KEYWORD_MAX_LENGTH} may allow; the image-worker's bound. */
    public static final int KEYWORD_MAX = 1000;
    /** BCP 47 tags: letters, digits and hyphens; 35 characters covers every registered form. */
    public static final Pattern LOCALE = Pattern.compile("[A-Za-z0-9]{1,8}(-[A-Za-z0-9]{1,8}){0,6}");
    public static final int LOCALE_MAX = 35;
    public static final int STYLE_MAX = 200;
    public static final int IMAGE_SIZE_MAX = 11;
    public static final int SOURCE_SYSTEM_MAX = 100;
    public static final int QUALITY_MAX = 16;
    public static final int PRIORITY_MAX = 16;
    public static final int ATTRIBUTES_MAX_ENTRIES = 64;
    public static final int ATTRIBUTE_KEY_MAX = 64;
    public static final int ATTRIBUTE_VALUE_MAX = 1024;
    /** Keys and values together, in UTF-8 bytes. */
    public static final int ATTRIBUTES_MAX_BYTES = 8192;
    /** The longest prompt the image-worker takes from {@code prompt-created}: what gpt-image models accept. */
    public static final int PROMPT_MAX = 32_000;
    public static final int MODEL_MAX = 128;
    /** A cancel's reason, and who asked for it. */
    public static final int CANCEL_REASON_MAX = 500;
    public static final int CANCELLED_BY_MAX = 100;

    private RequestBounds() {
    }

    /**
     * What is wrong with a request's fields, if anything: the first field out of its bound.
     *
     * @param keywordMax the keyword's bound ({@code TRAVELART_KEYWORD_MAX_LENGTH}, at most {@link #KEYWORD_MAX})
     */
    public static Optional<String> problem(KeywordRequested request, int keywordMax) {
        return problems(request, keywordMax).values().stream().findFirst();
    }

    /**
     * Every field out of its bound, by field, in the order {@link #problem} checks them: what an HTTP client is told,
     * one error per bad field.
     */
    public static Map<String, String> problems(KeywordRequested request, int keywordMax) {
        Map<String, String> found = new java.util.LinkedHashMap<>();
        String id = request.getRequestId();
        if (id == null || id.isBlank()) {
            found.put("requestId", "requestId is blank");
        } else if (!isRequestId(id)) {
            found.put("requestId", "requestId " + shown(id) + " is not 1 to " + REQUEST_ID_MAX
                    + " characters of A-Z a-z 0-9 . _ : - starting with a letter or digit");
        }
        String keyword = request.getKeyword();
        if (keyword == null || keyword.isBlank()) {
            found.put("keyword", "keyword is blank");
        } else {
            text("keyword", keyword.strip(), Math.min(keywordMax, KEYWORD_MAX)).ifPresent(p -> found.put("keyword", p));
        }
        optional("locale", request.getLocale(), LOCALE_MAX)
                .or(() -> request.getLocale() == null || request.getLocale().isBlank()
                        || LOCALE.matcher(request.getLocale().strip()).matches() ? Optional.empty()
                        : Optional.of("locale " + shown(request.getLocale()) + " is not a BCP 47 tag such as ko-KR"))
                .ifPresent(p -> found.put("locale", p));
        optional("style", request.getStyle(), STYLE_MAX).ifPresent(p -> found.put("style", p));
        optional("imageSize", request.getImageSize(), IMAGE_SIZE_MAX).ifPresent(p -> found.put("imageSize", p));
        optional("sourceSystem", request.getSourceSystem(), SOURCE_SYSTEM_MAX).ifPresent(p -> found.put("sourceSystem", p));
        optional("quality", request.getQuality(), QUALITY_MAX).ifPresent(p -> found.put("quality", p));
        optional("priority", request.getPriority(), PRIORITY_MAX).ifPresent(p -> found.put("priority", p));
        attributes(request.getAttributes()).ifPresent(p -> found.put("attributes", p));
        return found;
    }

    /** What is wrong with a prompt-created event's fields, if anything: its request's, then its own. */
    public static Optional<String> problem(PromptCreated event) {
        if (event.getRequest() == null) {
            return Optional.of("request is missing");
        }
        return problem(event.getRequest(), KEYWORD_MAX)
                .or(() -> event.getRequestId().equals(event.getRequest().getRequestId()) ? Optional.empty()
                        : Optional.of("requestId " + shown(event.getRequestId()) + " is not its request's, "
                        + shown(event.getRequest().getRequestId())))
                .or(() -> event.getPrompt() == null || event.getPrompt().isBlank() ? Optional.of("prompt is blank")
                        : length("prompt", event.getPrompt(), PROMPT_MAX))
                .or(() -> event.getModel() == null ? Optional.empty() : text("model", event.getModel(), MODEL_MAX));
    }

    /** Whether the value is a request id by {@link #REQUEST_ID}. */
    /** What is wrong with a cancel's fields, if anything: its id, then its reason and who asked. */
    public static Optional<String> problem(RequestCancelled cancel) {
        String id = cancel.getRequestId();
        if (!isRequestId(id)) {
            return Optional.of("requestId " + shown(id) + " is not 1 to " + REQUEST_ID_MAX
                    + " characters of A-Z a-z 0-9 . _ : - starting with a letter or digit");
        }
        return optional("reason", cancel.getReason(), CANCEL_REASON_MAX)
                .or(() -> text("cancelledBy", cancel.getCancelledBy(), CANCELLED_BY_MAX));
    }

    public static boolean isRequestId(String value) {
        return value != null && value.length() <= REQUEST_ID_MAX && REQUEST_ID.matcher(value).matches();
    }

    /** A request id as a log line may show it: itself when it is one, else {@link #shown cut and escaped}. */
    public static String shownId(String value) {
        return isRequestId(value) ? value : shown(value);
    }

    private static Optional<String> optional(String field, String value, int max) {
        return value == null ? Optional.empty() : text(field, value, max);
    }

    /** Within its length and free of control characters (they would reach logs and terminals). */
    private static Optional<String> text(String field, String value, int max) {
        return length(field, value, max).or(() -> value.codePoints().anyMatch(Character::isISOControl)
                ? Optional.of(field + " " + shown(value) + " contains control characters") : Optional.empty());
    }

    private static Optional<String> length(String field, String value, int max) {
        // A string of more than 2 * max chars has more than max code points: no need to count them all.
        int length = value.length() > 2 * max ? value.length() : value.codePointCount(0, value.length());
        return length > max ? Optional.of(field + " has " + length + " characters, more than the limit of " + max)
                : Optional.empty();
    }

    private static Optional<String> attributes(Map<String, String> attributes) {
        if (attributes == null || attributes.isEmpty()) {
            return Optional.empty();
        }
        if (attributes.size() > ATTRIBUTES_MAX_ENTRIES) {
            return Optional.of("attributes has " + attributes.size() + " entries, more than the limit of " + ATTRIBUTES_MAX_ENTRIES);
        }
        long bytes = 0;
        for (var entry : attributes.entrySet()) {
            Optional<String> problem = text("attribute key " + shown(entry.getKey()), entry.getKey(), ATTRIBUTE_KEY_MAX)
                    .or(() -> entry.getValue() == null ? Optional.empty()
                            : length("attribute " + shown(entry.getKey()), entry.getValue(), ATTRIBUTE_VALUE_MAX));
            if (problem.isPresent()) {
                return problem;
            }
            bytes += utf8Length(entry.getKey()) + (entry.getValue() == null ? 0 : utf8Length(entry.getValue()));
        }
        return bytes > ATTRIBUTES_MAX_BYTES
                ? Optional.of("attributes have " + bytes + " bytes, more than the limit of " + ATTRIBUTES_MAX_BYTES)
                : Optional.empty();
    }

    private static int utf8Length(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    /**
     * A value from outside as a message may show it: quoted, its first 40 characters, control characters
     * as {@code \\uXXXX}. Messages go to logs, terminals and failure events; what a client sent must not
     * make them long or write escape sequences.
     */
    public static String shown(String value) {
        if (value == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder("'");
        int i = 0;
        for (int shown = 0; i < value.length() && shown < 40; shown++) {
            int c = value.codePointAt(i);
            if (Character.isISOControl(c) || c == '\'') {
                out.append(String.format("\\u%04x", c));
            } else {
                out.appendCodePoint(c);
            }
            i += Character.charCount(c);
        }
        out.append('\'');
        if (i < value.length()) {
            out.append("… (").append(value.length()).append(" chars)");
        }
        return out.toString();
    }
}
