package io.travelart.core.config;

import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Kafka client settings, passed through unchanged from {@code KAFKA_*} variables
 * ({@code KAFKA_BOOTSTRAP_SERVERS}, {@code KAFKA_SECURITY_PROTOCOL}, {@code KAFKA_SASL_JAAS_CONFIG}, ...),
 * so SASL and SSL need no code.
 */
public record KafkaConfig(Map<String, String> clientProperties) {

    public static final String BOOTSTRAP = "bootstrap.servers";
    private static final Pattern SECRET = Pattern.compile("password|jaas|secret|token|credential|certificate|(^|\\.)key$|keystore\\.key");

    public KafkaConfig {
        clientProperties = Map.copyOf(clientProperties);
        if (!clientProperties.containsKey(BOOTSTRAP)) {
            throw new ConfigException("KAFKA_BOOTSTRAP_SERVERS is not set: the Kafka brokers to connect to, e.g. localhost:9092");
        }
    }

    /** Where Kafka 4 lets OAUTHBEARER clients and brokers fetch tokens and keys from: a JVM property, nothing else. */
    public static final String OAUTH_ALLOWED_URLS_PROPERTY = "org.apache.kafka.sasl.oauthbearer.allowed.urls";
    public static final String OAUTH_ALLOWED_URLS_SETTING = "TRAVELART_KAFKA_OAUTH_ALLOWED_URLS";

    public static KafkaConfig from(Settings settings) {
        settings.optional(OAUTH_ALLOWED_URLS_SETTING).ifPresent(KafkaConfig::allowOAuthUrls);
        Map<String, String> props = new TreeMap<>(settings.withPrefix("KAFKA_"));
        // Variables of Kafka's own scripts (KAFKA_HEAP_OPTS, KAFKA_HOME, ...), not client settings.
        props.keySet().removeIf(k -> k.endsWith(".opts") || k.equals("home"));
        return new KafkaConfig(props);
    }

    /**
     * Adds token endpoints (comma-separated URLs) to those Kafka's OAUTHBEARER login may call: Kafka 4 refuses any other
     * ({@code sasl.oauthbearer.token.endpoint.url} and the JWKS URL alike) unless this JVM property names it, and a
     * client setting cannot. Added to what the property holds already, so one JVM's clients and brokers share it.
     */
    static synchronized void allowOAuthUrls(String urls) {
        java.util.Set<String> allowed = new java.util.LinkedHashSet<>();
        for (String list : new String[]{System.getProperty(OAUTH_ALLOWED_URLS_PROPERTY, ""), urls}) {
            for (String url : list.split(",")) {
                if (!url.isBlank()) {
                    allowed.add(url.strip());
                }
            }
        }
        System.setProperty(OAUTH_ALLOWED_URLS_PROPERTY, String.join(",", allowed));
    }

    public static KafkaConfig of(String bootstrapServers) {
        return new KafkaConfig(Map.of(BOOTSTRAP, bootstrapServers));
    }

    public String bootstrapServers() {
        return clientProperties.get(BOOTSTRAP);
    }

    /** The pass-through settings, then the given ones on top. */
    public Properties with(Map<String, ?> overrides) {
        Properties props = new Properties();
        props.putAll(clientProperties);
        props.putAll(overrides);
        return props;
    }

    /**
     * The settings with every value that may be a secret masked, for logs: passwords, JAAS text, client secrets
     * and tokens, and inline keys and certificates ({@code ssl.keystore.key}, {@code ssl.keystore.certificate.chain},
     * {@code ssl.truststore.certificates}).
     */
    public Map<String, String> describe() {
        Map<String, String> shown = new TreeMap<>();
        clientProperties.forEach((k, v) -> shown.put(k, SECRET.matcher(k).find() ? "****" : v));
        return shown;
    }

    /** The settings as {@link #describe} shows them: a record's own toString would print the JAAS text. */
    @Override
    public String toString() {
        return "KafkaConfig" + describe();
    }
}
