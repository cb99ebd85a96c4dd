package io.travelart.api;

import io.travelart.core.config.ConfigException;
import io.travelart.events.RequestBounds;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The API keys, one or more per source system, stored as their SHA-256 only: {@code TRAVELART_API_KEYS} holds lines (or
 * comma-separated entries) {@code sourceSystem=sha256:<64 hex digits>}. A key is random (32 bytes), so a fast hash is
 * enough: there is nothing to guess from it. The key decides the request's {@code sourceSystem}: a client cannot
 * pose as another.
 */
public final class ApiKeys {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String PREFIX = "sha256:";

    /** Source system by key hash (hex). */
    private final Map<String, String> sources;

    private ApiKeys(Map<String, String> sources) {
        this.sources = Map.copyOf(sources);
    }

    /** @throws ConfigException naming the entry that is not {@code source=sha256:<hex>} */
    public static ApiKeys parse(String setting) {
        Map<String, String> sources = new LinkedHashMap<>();
        if (setting != null) {
            for (String entry : setting.split("[,\\n]")) {
                String line = entry.strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                int eq = line.lastIndexOf('=');
                String source = eq < 0 ? "" : line.substring(0, eq).strip();
                String hash = eq < 0 ? "" : line.substring(eq + 1).strip();
                if (source.isEmpty() || source.length() > RequestBounds.SOURCE_SYSTEM_MAX
                        || source.codePoints().anyMatch(Character::isISOControl)
                        || !hash.matches(PREFIX + "[0-9a-f]{64}")) {
                    throw new ConfigException("TRAVELART_API_KEYS: an entry is not sourceSystem=sha256:<64 lowercase hex digits> "
                            + "(make one with 'travelart api --new-key SOURCE'): " + RequestBounds.shown(cut(line)));
                }
                sources.put(hash.substring(PREFIX.length()), source);
            }
        }
        return new ApiKeys(sources);
    }

    private static String cut(String line) {
        int eq = line.lastIndexOf('=');
        return eq < 0 ? line : line.substring(0, eq) + "=…";
    }

    /** The source system a presented key belongs to, if it is one of ours. */
    public Optional<String> source(String key) {
        if (key == null || key.isEmpty() || key.length() > 200) {
            return Optional.empty();
        }
        return Optional.ofNullable(sources.get(hash(key)));
    }

    /** The source systems that have a key. */
    public java.util.Set<String> sources() {
        return java.util.Set.copyOf(sources.values());
    }

    public boolean isEmpty() {
        return sources.isEmpty();
    }

    public int size() {
        return sources.size();
    }

    /** A new random key: 32 bytes, base64url, with a prefix that says what it is. */
    public static String newKey() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return "ta_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** The setting's entry for a key. */
    public static String entry(String source, String key) {
        return source + "=" + PREFIX + hash(key);
    }

    static String hash(String key) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
