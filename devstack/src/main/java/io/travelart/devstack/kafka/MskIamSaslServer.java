package io.travelart.devstack.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.security.auth.AuthenticateCallbackHandler;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.CallbackHandler;
import javax.security.auth.callback.UnsupportedCallbackException;
import javax.security.auth.login.AppConfigurationEntry;
import javax.security.sasl.SaslServer;
import javax.security.sasl.SaslServerFactory;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.Provider;
import java.security.Security;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The broker's side of {@code AWS_MSK_IAM}, as Amazon MSK checks a client's IAM login, for the tests: the client (AWS's
 * {@code aws-msk-iam-auth} library) sends one JSON message, the query of a SigV4-presigned {@code GET} for the action
 * {@code kafka-cluster:Connect} on the broker's host; this server computes the signature again from the secret key the
 * access key stands for (AWS Signature Version 4, written here from its published description, the JDK's HMAC-SHA256
 * only) and compares. A known key whose signature matches, within its 15 minutes, logs in as the principal given for
 * it; anything else is refused with a reason. Real MSK then authorizes by IAM policies; here the principal's Kafka ACLs
 * do.
 */
public final class MskIamSaslServer implements SaslServer {

    public static final String MECHANISM = "AWS_MSK_IAM";
    private static final String VERSION = "2020_10_22";
    private static final String ACTION = "kafka-cluster:Connect";
    private static final String SERVICE = "kafka-cluster";
    private static final DateTimeFormatter AMZ_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
    private static final Duration CLOCK_SKEW = Duration.ofMinutes(15);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The query parameters of the presigned request, as the payload names them (lower case) and as they were signed. */
    private static final Map<String, String> QUERY = Map.of("action", "Action", "x-amz-algorithm", "X-Amz-Algorithm",
            "x-amz-credential", "X-Amz-Credential", "x-amz-date", "X-Amz-Date", "x-amz-expires", "X-Amz-Expires",
            "x-amz-security-token", "X-Amz-Security-Token", "x-amz-signedheaders", "X-Amz-SignedHeaders");

    private final CallbackHandler keys;
    private String principal;

    MskIamSaslServer(CallbackHandler keys) {
        this.keys = keys;
    }

    /** Asks the broker's {@link Keys} for an access key's secret and principal. */
    static final class KeyCallback implements Callback {
        final String accessKeyId;
        Optional<Keys.Key> key = Optional.empty();

        KeyCallback(String accessKeyId) {
            this.accessKeyId = accessKeyId;
        }
    }

    @Override
    public String getMechanismName() {
        return MECHANISM;
    }

    @Override
    public byte[] evaluateResponse(byte[] response) {
        JsonNode payload;
        try {
            payload = JSON.readTree(response);
        } catch (IOException e) {
            throw new SaslAuthenticationException("AWS_MSK_IAM: the payload is not JSON");
        }
        if (payload == null || !payload.isObject()) {
            throw new SaslAuthenticationException("AWS_MSK_IAM: the payload is not a JSON object");
        }
        require(payload, "version", VERSION);
        require(payload, "action", ACTION);
        require(payload, "x-amz-algorithm", "AWS4-HMAC-SHA256");
        require(payload, "x-amz-signedheaders", "host");
        String[] scope = text(payload, "x-amz-credential").split("/");
        if (scope.length != 5 || !scope[3].equals(SERVICE) || !scope[4].equals("aws4_request")) {
            throw new SaslAuthenticationException("AWS_MSK_IAM: the credential scope is not <key>/<date>/<region>/kafka-cluster/aws4_request");
        }
        String amzDate = text(payload, "x-amz-date");
        Instant signedAt;
        try {
            signedAt = Instant.from(AMZ_DATE.parse(amzDate));
        } catch (DateTimeParseException e) {
            throw new SaslAuthenticationException("AWS_MSK_IAM: x-amz-date is not a date");
        }
        long expires = payload.path("x-amz-expires").asLong(-1);
        Instant now = Instant.now();
        if (!amzDate.startsWith(scope[1]) || expires <= 0 || expires > 900 || signedAt.isAfter(now.plus(CLOCK_SKEW))
                || now.isAfter(signedAt.plusSeconds(expires))) {
            throw new SaslAuthenticationException("AWS_MSK_IAM: the signature has expired or is not yet valid");
        }
        KeyCallback callback = new KeyCallback(scope[0]);
        try {
            keys.handle(new Callback[] {callback});
        } catch (IOException | UnsupportedCallbackException e) {
            throw new SaslAuthenticationException("AWS_MSK_IAM: the broker cannot look up access keys");
        }
        Keys.Key key = callback.key.orElseThrow(() -> new SaslAuthenticationException("AWS_MSK_IAM: access key " + scope[0] + " is unknown"));
        String expected = signature(payload, key.secret(), scope, amzDate);
        if (!MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII), text(payload, "x-amz-signature").getBytes(StandardCharsets.US_ASCII))) {
            throw new SaslAuthenticationException("AWS_MSK_IAM: the signature does not match (wrong secret key for " + scope[0] + "?)");
        }
        principal = key.principal();
        return ("{\"version\":\"" + VERSION + "\",\"request-id\":\"" + UUID.randomUUID() + "\"}").getBytes(StandardCharsets.UTF_8);
    }

    /** SigV4 of a presigned {@code GET /?Action=…} with {@code host} the only signed header and an empty body. */
    private static String signature(JsonNode payload, String secret, String[] scope, String amzDate) {
        Map<String, String> query = new TreeMap<>();
        QUERY.forEach((field, name) -> {
            if (payload.hasNonNull(field)) {
                query.put(name, payload.get(field).asText());
            }
        });
        StringBuilder canonicalQuery = new StringBuilder();
        query.forEach((name, value) -> canonicalQuery.append(canonicalQuery.isEmpty() ? "" : "&")
                .append(encode(name)).append('=').append(encode(value)));
        String canonicalRequest = "GET\n/\n" + canonicalQuery + "\nhost:" + text(payload, "host") + "\n\nhost\n" + hex(sha256(""));
        String stringToSign = "AWS4-HMAC-SHA256\n" + amzDate + "\n" + String.join("/", scope[1], scope[2], scope[3], scope[4])
                + "\n" + hex(sha256(canonicalRequest));
        byte[] key = hmac(("AWS4" + secret).getBytes(StandardCharsets.UTF_8), scope[1]);
        key = hmac(key, scope[2]);
        key = hmac(key, scope[3]);
        key = hmac(key, scope[4]);
        return hex(hmac(key, stringToSign));
    }

    /** RFC 3986 percent-encoding, as SigV4 wants it: unreserved characters as they are, everything else %XX. */
    static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20").replace("*", "%2A").replace("%7E", "~");
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] hmac(byte[] key, String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    private static String text(JsonNode payload, String field) {
        JsonNode value = payload.get(field);
        if (value == null || !value.isTextual()) {
            throw new SaslAuthenticationException("AWS_MSK_IAM: the payload has no " + field);
        }
        return value.asText();
    }

    private static void require(JsonNode payload, String field, String expected) {
        if (!expected.equals(text(payload, field))) {
            throw new SaslAuthenticationException("AWS_MSK_IAM: " + field + " is not " + expected);
        }
    }

    @Override
    public boolean isComplete() {
        return principal != null;
    }

    @Override
    public String getAuthorizationID() {
        if (principal == null) {
            throw new IllegalStateException("AWS_MSK_IAM: not logged in");
        }
        return principal;
    }

    @Override
    public byte[] unwrap(byte[] incoming, int offset, int len) {
        throw new IllegalStateException("AWS_MSK_IAM has no security layer");
    }

    @Override
    public byte[] wrap(byte[] outgoing, int offset, int len) {
        throw new IllegalStateException("AWS_MSK_IAM has no security layer");
    }

    @Override
    public Object getNegotiatedProperty(String name) {
        return null;
    }

    @Override
    public void dispose() {
    }

    /** Makes the server known to {@link javax.security.sasl.Sasl} once. */
    public static final class Factory implements SaslServerFactory {
        private static volatile boolean registered;

        static synchronized void register() {
            if (!registered) {
                Security.addProvider(new Provider("TravelartMskIam", "1.0", "AWS_MSK_IAM, checked as Amazon MSK does") {
                    {
                        put("SaslServerFactory." + MECHANISM, Factory.class.getName());
                    }
                });
                registered = true;
            }
        }

        @Override
        public SaslServer createSaslServer(String mechanism, String protocol, String serverName, Map<String, ?> props, CallbackHandler cbh) {
            return MECHANISM.equals(mechanism) ? new MskIamSaslServer(cbh) : null;
        }

        @Override
        public String[] getMechanismNames(Map<String, ?> props) {
            return new String[] {MECHANISM};
        }
    }

    /**
     * The access keys the broker accepts, from the options of the listener's JAAS text: {@code key_<access key id>="<secret
     * access key> <principal>"}.
     */
    public static final class Keys implements AuthenticateCallbackHandler {
        record Key(String secret, String principal) {
        }

        private final Map<String, Key> keys = new ConcurrentHashMap<>();

        @Override
        public void configure(Map<String, ?> configs, String mechanism, List<AppConfigurationEntry> jaasConfigEntries) {
            for (AppConfigurationEntry entry : jaasConfigEntries) {
                entry.getOptions().forEach((name, value) -> {
                    if (name.startsWith("key_")) {
                        String[] parts = value.toString().split(" ", 2);
                        keys.put(name.substring(4), new Key(parts[0], parts[1]));
                    }
                });
            }
        }

        @Override
        public void handle(Callback[] callbacks) throws UnsupportedCallbackException {
            for (Callback callback : callbacks) {
                if (callback instanceof KeyCallback key) {
                    key.key = Optional.ofNullable(keys.get(key.accessKeyId));
                } else {
                    throw new UnsupportedCallbackException(callback);
                }
            }
        }

        @Override
        public void close() {
        }
    }
}
