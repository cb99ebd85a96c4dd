package io.travelart.webhook;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.travelart.core.VirtualTime;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Coverage-guided fuzzing (Jazzer) of the outside bytes the webhook side parses: an endpoint's {@code Retry-After}
 * (seconds, an HTTP date, or anything) is a wait between zero and a day, or nothing; a delivery's headers and body, as
 * {@code travelart webhooks listen} checks them, are accepted only when signed with the secret, and never break the
 * check. {@code mvn verify} replays the committed corpus; {@code JAZZER_FUZZ=1} fuzzes it.
 */
class ReceiverInputFuzzTest {

    private static final byte[] KEY = Base64.getDecoder().decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    private static final VirtualTime NOW = new VirtualTime();

    @FuzzTest(maxDuration = "2m")
    void anEndpointsAnswerAndADeliverysHeadersNeverBreakTheirParsers(FuzzedDataProvider data) {
        Optional<Duration> wait = Sender.retryAfter(data.consumeString(200), NOW);
        wait.ifPresent(w -> assertThat(w).isBetween(Duration.ZERO, Sender.MAX_RETRY_AFTER));

        String id = data.consumeString(100);
        String timestamp = data.consumeString(30);
        String signatures = data.consumeString(300);
        byte[] body = data.consumeRemainingAsString().getBytes(StandardCharsets.UTF_8);
        long now = NOW.instant().getEpochSecond();
        Optional<String> problem = Signatures.verify(KEY, id, timestamp, signatures, body, now);
        if (problem.isEmpty()) {
            // Accepted: one of the signatures given is ours for these bytes, at a time within the tolerance.
            long at = Long.parseLong(timestamp.strip());
            assertThat(signatures).contains(Signatures.sign(KEY, id, at, body));
            assertThat(Math.abs(now - at)).isLessThanOrEqualTo(Signatures.TOLERANCE_SECONDS);
        } else {
            assertThat(problem.get()).isNotBlank().hasSizeLessThan(200);
        }
    }
}
