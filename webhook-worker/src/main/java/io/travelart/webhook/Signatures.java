package io.travelart.webhook;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;

/**
 * The Standard Webhooks signature: {@code v1,} and the base64 of HMAC-SHA256, under the endpoint's secret, of
 * {@code <webhook-id>.<webhook-timestamp>.<body>}. Written with the JDK's {@link Mac} (a dozen lines); the tests check
 * it with the specification's reference library, an implementation of its own.
 */
public final class Signatures {

    private Signatures() {
    }

    /** How far a delivery's {@code webhook-timestamp} may be from now before {@link #verify} refuses it (a replayed capture). */
    public static final long TOLERANCE_SECONDS = 300;

    /**
     * What a receiver checks: the timestamp is within {@link #TOLERANCE_SECONDS} of {@code nowSeconds}, and one of the
     * space-separated signatures of {@code webhook-signature} is {@code v1,} and ours (compared in constant time).
     *
     * @return empty when it holds, else why not
     */
    public static java.util.Optional<String> verify(byte[] secret, String webhookId, String timestamp, String signatures, byte[] body,
                                                    long nowSeconds) {
        if (webhookId == null || timestamp == null || signatures == null) {
            return java.util.Optional.of("webhook-id, webhook-timestamp or webhook-signature missing");
        }
        long at;
        try {
            at = Long.parseLong(timestamp.strip());
        } catch (NumberFormatException e) {
            return java.util.Optional.of("webhook-timestamp is not a number of seconds");
        }
        if (Math.abs(nowSeconds - at) > TOLERANCE_SECONDS) {
            return java.util.Optional.of("webhook-timestamp is " + (nowSeconds - at) + " s away from now");
        }
        byte[] expected = sign(secret, webhookId, at, body).getBytes(StandardCharsets.UTF_8);
        for (String signature : signatures.strip().split(" +")) {
            if (MessageDigest.isEqual(expected, signature.getBytes(StandardCharsets.UTF_8))) {
                return java.util.Optional.empty();
            }
        }
        return java.util.Optional.of("no signature matches");
    }

    public static String sign(byte[] secret, String webhookId, long timestampSeconds, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            mac.update((webhookId + "." + timestampSeconds + ".").getBytes(StandardCharsets.UTF_8));
            return "v1," + Base64.getEncoder().encodeToString(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JDK", e);
        }
    }
}
