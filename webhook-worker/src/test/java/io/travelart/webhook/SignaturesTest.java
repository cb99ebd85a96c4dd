package io.travelart.webhook;

import com.standardwebhooks.Webhook;
import com.standardwebhooks.exceptions.WebhookVerificationException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SignaturesTest {

    @Test
    void signsTheSpecificationsExample() {
        // The example of the Standard Webhooks specification: its secret, id, timestamp, payload and signature.
        byte[] key = Base64.getDecoder().decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        assertThat(Signatures.sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330L,
                "{\"test\": 2432232314}".getBytes(StandardCharsets.UTF_8)))
                .isEqualTo("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    @Test
    void theReferenceLibraryAcceptsOurSignatureAndRefusesItOnAnotherBody() throws Exception {
        String secret = Endpoints.newSecret();
        byte[] key = Base64.getDecoder().decode(secret.substring(Endpoints.SECRET_PREFIX.length()));
        String body = "{\"type\":\"image.ready\",\"data\":{\"keyword\":\"겨울밤의 파리\"}}";
        long now = Instant.now().getEpochSecond();
        String signature = Signatures.sign(key, "msg_1", now, body.getBytes(StandardCharsets.UTF_8));
        Map<String, List<String>> headers = Map.of("webhook-id", List.of("msg_1"), "webhook-timestamp", List.of(Long.toString(now)),
                "webhook-signature", List.of(signature));

        new Webhook(secret).verify(body, headers);
        assertThatThrownBy(() -> new Webhook(secret).verify(body.replace("파리", "서울"), headers))
                .isInstanceOf(WebhookVerificationException.class);
        assertThatThrownBy(() -> new Webhook(Endpoints.newSecret()).verify(body, headers))
                .isInstanceOf(WebhookVerificationException.class);
    }

    @Test
    void ourCheckAcceptsWhatTheReferenceLibrarySignsAndRefusesTheRest() throws Exception {
        String secret = Endpoints.newSecret();
        byte[] key = Base64.getDecoder().decode(secret.substring(Endpoints.SECRET_PREFIX.length()));
        String body = "{\"type\":\"request.failed\"}";
        long now = Instant.now().getEpochSecond();
        String theirs = new Webhook(secret).sign("msg_2", now, body);
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);

        assertThat(Signatures.verify(key, "msg_2", Long.toString(now), "v1,bm90IGl0 " + theirs, bytes, now)).isEmpty();
        assertThat(Signatures.verify(key, "msg_3", Long.toString(now), theirs, bytes, now)).contains("no signature matches");
        assertThat(Signatures.verify(key, "msg_2", Long.toString(now), theirs, bytes, now + 301))
                .hasValueSatisfying(why -> assertThat(why).contains("away from now"));
        assertThat(Signatures.verify(key, "msg_2", "soon", theirs, bytes, now)).isPresent();
        assertThat(Signatures.verify(key, "msg_2", null, theirs, bytes, now)).isPresent();
    }
}
