package io.travelart.webhook;

import io.travelart.core.config.ConfigException;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The webhook endpoints, one per source system, from two settings: {@code TRAVELART_WEBHOOK_ENDPOINTS}
 * ({@code my-shop=https://shop.example/hooks/travelart,other=…}) and {@code TRAVELART_WEBHOOK_SECRETS}
 * ({@code my-shop=whsec_<base64 of 24 to 64 random bytes>,…}), the Standard Webhooks form of a secret. Every endpoint
 * needs its secret and every secret its endpoint; an endpoint is an absolute http or https URL without user
 * information or fragment.
 */
public final class Endpoints {

    public static final String SECRET_PREFIX = "whsec_";
    private static final int SECRET_MIN_BYTES = 24;
    private static final int SECRET_MAX_BYTES = 64;

    private final Map<String, Endpoint> bySource;

    private Endpoints(Map<String, Endpoint> bySource) {
        this.bySource = Map.copyOf(bySource);
    }

    public static Endpoints of(Endpoint... endpoints) {
        Map<String, Endpoint> map = new LinkedHashMap<>();
        for (Endpoint endpoint : endpoints) {
            map.put(endpoint.sourceSystem(), endpoint);
        }
        return new Endpoints(map);
    }

    /** The endpoint a source system's events go to, if it has one. */
    public Optional<Endpoint> forSource(String sourceSystem) {
        return sourceSystem == null ? Optional.empty() : Optional.ofNullable(bySource.get(sourceSystem));
    }

    public int size() {
        return bySource.size();
    }

    public java.util.Collection<Endpoint> all() {
        return bySource.values();
    }

    /** @throws ConfigException naming the setting and the entry at fault (never a secret's value) */
    public static Endpoints parse(String endpoints, String secrets) {
        Map<String, String> urls = entries("TRAVELART_WEBHOOK_ENDPOINTS", endpoints);
        Map<String, String> keys = entries("TRAVELART_WEBHOOK_SECRETS", secrets);
        Map<String, Endpoint> bySource = new LinkedHashMap<>();
        for (var entry : urls.entrySet()) {
            String source = entry.getKey();
            String secret = keys.get(source);
            if (secret == null) {
                throw new ConfigException("TRAVELART_WEBHOOK_SECRETS has no secret for " + source
                        + " (an endpoint of TRAVELART_WEBHOOK_ENDPOINTS): every endpoint is signed");
            }
            bySource.put(source, new Endpoint(source, url(source, entry.getValue()), secret(source, secret)));
        }
        for (String source : keys.keySet()) {
            if (!urls.containsKey(source)) {
                throw new ConfigException("TRAVELART_WEBHOOK_SECRETS has a secret for " + source
                        + ", which has no endpoint in TRAVELART_WEBHOOK_ENDPOINTS");
            }
        }
        return new Endpoints(bySource);
    }

    private static Map<String, String> entries(String setting, String text) {
        Map<String, String> entries = new LinkedHashMap<>();
        if (text == null || text.isBlank()) {
            return entries;
        }
        for (String part : text.split(",")) {
            String entry = part.strip();
            if (entry.isEmpty()) {
                continue;
            }
            int eq = entry.indexOf('=');
            if (eq <= 0 || eq == entry.length() - 1) {
                throw new ConfigException(setting + ": an entry is not sourceSystem=value (entry " + (entries.size() + 1) + ")");
            }
            String source = entry.substring(0, eq).strip();
            if (entries.put(source, entry.substring(eq + 1).strip()) != null) {
                throw new ConfigException(setting + " names " + source + " twice: one endpoint per source system");
            }
        }
        return entries;
    }

    private static URI url(String source, String text) {
        URI url;
        try {
            url = new URI(text);
        } catch (URISyntaxException e) {
            throw new ConfigException("TRAVELART_WEBHOOK_ENDPOINTS: the endpoint of " + source + " is not a URL: " + e.getReason());
        }
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || url.getHost() == null) {
            throw new ConfigException("TRAVELART_WEBHOOK_ENDPOINTS: the endpoint of " + source
                    + " is not an absolute http or https URL with a host");
        }
        if (url.getRawUserInfo() != null || url.getRawFragment() != null) {
            throw new ConfigException("TRAVELART_WEBHOOK_ENDPOINTS: the endpoint of " + source
                    + " has user information or a fragment; the signature is what authenticates a delivery");
        }
        return url;
    }

    private static byte[] secret(String source, String text) {
        if (!text.startsWith(SECRET_PREFIX)) {
            throw new ConfigException("TRAVELART_WEBHOOK_SECRETS: the secret of " + source + " does not start with " + SECRET_PREFIX
                    + " (make one with 'travelart webhooks new-secret')");
        }
        byte[] key;
        try {
            key = Base64.getDecoder().decode(text.substring(SECRET_PREFIX.length()));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("TRAVELART_WEBHOOK_SECRETS: the secret of " + source + " is not whsec_ followed by base64");
        }
        if (key.length < SECRET_MIN_BYTES || key.length > SECRET_MAX_BYTES) {
            throw new ConfigException("TRAVELART_WEBHOOK_SECRETS: the secret of " + source + " holds " + key.length
                    + " bytes; Standard Webhooks asks for " + SECRET_MIN_BYTES + " to " + SECRET_MAX_BYTES);
        }
        return key;
    }

    /** A new secret of 32 random bytes, in the form the settings take. */
    public static String newSecret() {
        byte[] key = new byte[32];
        new java.security.SecureRandom().nextBytes(key);
        return SECRET_PREFIX + Base64.getEncoder().encodeToString(key);
    }
}
