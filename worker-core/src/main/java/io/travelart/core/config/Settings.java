package io.travelart.core.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Raw settings of one program: environment variables, optionally over a properties file named by
 * {@code TRAVELART_CONFIG_FILE}. Names are environment-variable style ({@code TRAVELART_MAX_IN_FLIGHT});
 * a properties file may also spell them {@code travelart.max-in-flight}. Typed accessors validate and
 * fail with a {@link ConfigException} naming the setting and what it accepts.
 */
public final class Settings {

    private final Map<String, String> values;
    /** The names a program looked up: what it reads, so a deployment file can be checked against it. */
    private final Set<String> read = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** The default each name was read with, as a person writes it: what the configuration reference shows. */
    private final Map<String, String> defaults = new java.util.concurrent.ConcurrentHashMap<>();

    private Settings(Map<String, String> values) {
        this.values = Map.copyOf(values);
    }

    public static Settings of(Map<String, String> values) {
        return new Settings(values);
    }

    /** These settings with some replaced or added (a command's flags over the environment, say). */
    public Settings with(Map<String, String> overrides) {
        Map<String, String> merged = new HashMap<>(values);
        merged.putAll(overrides);
        return new Settings(merged);
    }

    /** The process environment, over the properties file named by TRAVELART_CONFIG_FILE if set. */
    public static Settings fromEnvironment() {
        return fromEnvironment(System.getenv());
    }

    public static Settings fromEnvironment(Map<String, String> env) {
        Map<String, String> merged = new HashMap<>();
        String file = env.get("TRAVELART_CONFIG_FILE");
        if (file != null && !file.isBlank()) {
            merged.putAll(readProperties(Path.of(file)));
        }
        merged.putAll(env);
        return new Settings(merged);
    }

    private static Map<String, String> readProperties(Path file) {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(reader);
        } catch (IOException e) {
            throw new ConfigException("TRAVELART_CONFIG_FILE: cannot read " + file + ": " + e.getMessage());
        }
        Map<String, String> result = new HashMap<>();
        properties.forEach((k, v) -> result.put(envName(k.toString()), v.toString()));
        return result;
    }

    /** {@code kafka.bootstrap.servers} and {@code travelart.max-in-flight} become env-style names. */
    static String envName(String name) {
        return name.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    public Optional<String> optional(String name) {
        read.add(name);
        String value = values.get(name);
        return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.trim());
    }

    public String string(String name, String defaultValue) {
        if (defaultValue != null) {
            defaults.putIfAbsent(name, defaultValue);
        }
        return optional(name).orElse(defaultValue);
    }

    public String required(String name, String what) {
        return optional(name).orElseThrow(() -> new ConfigException(name + " is not set: " + what));
    }

    public int intValue(String name, int defaultValue, int min, int max) {
        return parse(name, defaultValue, Integer::parseInt, v -> v >= min && v <= max,
                "an integer from " + min + " to " + max);
    }

    public boolean bool(String name, boolean defaultValue) {
        return parse(name, defaultValue, v -> switch (v.toLowerCase(Locale.ROOT)) {
            case "true", "yes", "1" -> true;
            case "false", "no", "0" -> false;
            default -> throw new IllegalArgumentException(v);
        }, v -> true, "true or false");
    }

    /** Durations as ISO-8601 ({@code PT30S}) or a number with unit: {@code 250ms}, {@code 30s}, {@code 2m}. */
    public Duration duration(String name, Duration defaultValue) {
        return parse(name, defaultValue, Settings::parseDuration, d -> !d.isNegative(),
                "a duration such as 250ms, 30s, 2m, 1h or PT30S");
    }

    public static Duration parseDuration(String text) {
        String v = text.trim().toLowerCase(Locale.ROOT);
        try {
            if (v.startsWith("pt") || v.startsWith("p")) {
                return Duration.parse(v.toUpperCase(Locale.ROOT));
            }
            if (v.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
            }
            if (v.endsWith("s")) {
                return Duration.ofMillis(Math.round(Double.parseDouble(v.substring(0, v.length() - 1)) * 1000));
            }
            if (v.endsWith("m")) {
                return Duration.ofMinutes(Long.parseLong(v.substring(0, v.length() - 1)));
            }
            if (v.endsWith("h")) {
                return Duration.ofHours(Long.parseLong(v.substring(0, v.length() - 1)));
            }
            if (v.endsWith("d")) {
                return Duration.ofDays(Long.parseLong(v.substring(0, v.length() - 1)));
            }
            return Duration.ofMillis(Long.parseLong(v));
        } catch (NumberFormatException | DateTimeParseException e) {
            throw new IllegalArgumentException(text, e);
        }
    }

    private <T> T parse(String name, T defaultValue, Function<String, T> parser,
                        java.util.function.Predicate<T> valid, String accepted) {
        if (defaultValue != null) {
            defaults.putIfAbsent(name, defaultValue instanceof Duration d ? format(d) : String.valueOf(defaultValue));
        }
        Optional<String> raw = optional(name);
        if (raw.isEmpty()) {
            return defaultValue;
        }
        T value;
        try {
            value = parser.apply(raw.get());
        } catch (RuntimeException e) {
            throw new ConfigException(name + "=" + raw.get() + " is not accepted: expected " + accepted);
        }
        if (!valid.test(value)) {
            throw new ConfigException(name + "=" + raw.get() + " is not accepted: expected " + accepted);
        }
        return value;
    }

    /**
     * Settings under a prefix with the prefix removed and the rest turned into a Kafka-style name:
     * {@code KAFKA_SASL_JAAS_CONFIG} becomes {@code sasl.jaas.config}.
     */
    public Map<String, String> withPrefix(String prefix) {
        read.add(prefix + "*");
        Map<String, String> result = new TreeMap<>();
        values.forEach((k, v) -> {
            if (k.startsWith(prefix) && k.length() > prefix.length()) {
                result.put(k.substring(prefix.length()).toLowerCase(Locale.ROOT).replace('_', '.'), v);
            }
        });
        return result;
    }

    /** The defaults of the names read with one, written as a setting would be ({@code 30s}, {@code 16}, {@code true}). */
    public Map<String, String> defaultsRead() {
        return Map.copyOf(defaults);
    }

    /** A duration in the largest unit that writes it whole: {@code 250ms}, {@code 30s}, {@code 2m}, {@code 1h}, {@code 1d}. */
    static String format(Duration duration) {
        long ms = duration.toMillis();
        if (ms == 0 || ms % 1000 != 0) {
            return ms + "ms";
        }
        long s = ms / 1000;
        return s % 86400 == 0 ? s / 86400 + "d" : s % 3600 == 0 ? s / 3600 + "h" : s % 60 == 0 ? s / 60 + "m" : s + "s";
    }

    /** Every name looked up so far; a prefix passed to {@link #withPrefix} appears as {@code PREFIX*}. */
    public Set<String> namesRead() {
        return Set.copyOf(read);
    }
}
