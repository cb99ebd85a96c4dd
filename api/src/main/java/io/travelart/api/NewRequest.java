package io.travelart.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.travelart.core.images.ImageModels;
import io.travelart.core.json.Json;
import io.travelart.events.KeywordRequested;
import io.travelart.events.Priorities;
import io.travelart.events.RequestBounds;

import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A request as a client POSTs it, JSON: the fields of keyword-requested that a client sets ({@code keyword}, and
 * optionally {@code style}, {@code locale}, {@code imageSize}, {@code quality}, {@code priority}, {@code attributes}),
 * checked with the same bounds the prompt-worker applies, every bad field named. The request id and time are the
 * API's; the source system is the key's.
 */
final class NewRequest {

    private static final ObjectMapper JSON = Json.mapper();
    static final Set<String> STRING_FIELDS = Set.of("keyword", "style", "locale", "imageSize", "quality", "priority");
    private static final Pattern SIZE = Pattern.compile("[1-9][0-9]{1,4}x[1-9][0-9]{1,4}");

    /** The parsed request, or the errors by field (a {@code null} field for the body as a whole). */
    record Parsed(KeywordRequested request, Map<String, String> errors) {
        boolean ok() {
            return errors.isEmpty();
        }
    }

    private NewRequest() {
    }

    static Parsed parse(byte[] body, String source, String requestId, Instant now, int keywordMax) {
        Map<String, String> errors = new LinkedHashMap<>();
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (JsonProcessingException e) {
            errors.put(null, "the body is not JSON: " + RequestBounds.shown(e.getOriginalMessage()));
            return new Parsed(null, errors);
        } catch (java.io.IOException e) {
            errors.put(null, "the body cannot be read: " + e.getMessage());
            return new Parsed(null, errors);
        }
        if (root == null || !root.isObject()) {
            errors.put(null, "the body is not a JSON object");
            return new Parsed(null, errors);
        }
        Map<String, String> strings = new HashMap<>();
        Map<String, String> attributes = null;
        for (var field : (Iterable<Map.Entry<String, JsonNode>>) root::fields) {
            String name = field.getKey();
            JsonNode value = field.getValue();
            if (STRING_FIELDS.contains(name)) {
                if (value.isNull()) {
                    continue;
                }
                if (!value.isTextual()) {
                    errors.put(name, name + " must be a string");
                } else {
                    strings.put(name, value.asText());
                }
            } else if (name.equals("attributes")) {
                if (!value.isObject()) {
                    errors.put(name, "attributes must be an object of strings");
                    continue;
                }
                attributes = new LinkedHashMap<>();
                for (var entry : (Iterable<Map.Entry<String, JsonNode>>) value::fields) {
                    if (!entry.getValue().isTextual()) {
                        errors.put(name, "attributes." + RequestBounds.shown(entry.getKey()) + " must be a string");
                        break;
                    }
                    attributes.put(entry.getKey(), entry.getValue().asText());
                }
            } else if (name.equals("sourceSystem")) {
                errors.put(name, "sourceSystem is not set by the client: the API key decides it (" + source + ")");
            } else {
                String shown = name.length() <= 64 && name.codePoints().noneMatch(Character::isISOControl) ? name : RequestBounds.shown(name);
                errors.put(shown, shown + " is not a field of a request (keyword, style, locale, imageSize, quality, priority, attributes)");
            }
        }
        if (!strings.containsKey("keyword") && !errors.containsKey("keyword")) {
            errors.put("keyword", "keyword is missing");
        }
        KeywordRequested request = KeywordRequested.newBuilder().setRequestId(requestId).setKeyword(strings.getOrDefault("keyword", ""))
                .setStyle(strings.get("style")).setLocale(strings.get("locale")).setImageSize(strings.get("imageSize"))
                .setQuality(strings.get("quality")).setPriority(strings.get("priority")).setSourceSystem(source)
                .setAttributes(attributes == null ? Map.of() : attributes).setRequestedAt(now).build();
        RequestBounds.problems(request, keywordMax).forEach(errors::putIfAbsent);
        String size = strings.get("imageSize");
        if (size != null && !errors.containsKey("imageSize") && !SIZE.matcher(size).matches()) {
            errors.put("imageSize", "imageSize " + RequestBounds.shown(size) + " is not WIDTHxHEIGHT, such as 1024x1024");
        }
        String quality = strings.get("quality");
        if (quality != null && !errors.containsKey("quality") && !ImageModels.QUALITIES.contains(quality)) {
            errors.put("quality", "quality " + RequestBounds.shown(quality) + " is not one of " + String.join(", ", ImageModels.QUALITIES));
        }
        String priority = strings.get("priority");
        if (priority != null && !errors.containsKey("priority") && !Priorities.ALL.contains(priority)) {
            errors.put("priority", "priority " + RequestBounds.shown(priority) + " is not one of " + String.join(", ", Priorities.ALL));
        }
        return new Parsed(errors.isEmpty() ? request : null, errors);
    }
}
