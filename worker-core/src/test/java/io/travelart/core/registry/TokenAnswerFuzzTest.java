package io.travelart.core.registry;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.travelart.core.VirtualTime;
import io.travelart.core.config.RegistryConfig;

import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Coverage-guided fuzzing (Jazzer) of what the registry client reads from an identity provider: any status and any
 * bytes are a token or a {@link RegistryException}, nothing else escapes, and a token's refresh comes no later than its
 * end, which comes within a day. {@code mvn verify} replays the committed corpus
 * ({@code src/test/resources/io/travelart/core/registry/TokenAnswerFuzzTestInputs/}); {@code JAZZER_FUZZ=1} fuzzes it.
 */
class TokenAnswerFuzzTest {

    private static final OAuthTokens TOKENS = new OAuthTokens(new RegistryConfig.ClientCredentials("http://127.0.0.1:1/token",
            "client", "secret", Optional.empty()), HttpClient.newHttpClient(), new VirtualTime(), Duration.ofSeconds(1));

    @FuzzTest(maxDuration = "2m")
    void anyAnswerIsATokenOrARegistryError(byte[] data) {
        int status = data.length == 0 ? 200 : 100 + (data[0] & 0xff) * 2;
        byte[] body = data.length == 0 ? data : java.util.Arrays.copyOfRange(data, 1, data.length);
        long now = 1_000_000_000L;
        try {
            OAuthTokens.Token token = TOKENS.answer(status, body, now);
            assertThat(token.value()).isNotEmpty();
            assertThat(token.refreshAtNanos() - now).isPositive().isLessThanOrEqualTo(token.expiresAtNanos() - now);
            if (token.expiresAtNanos() - now != Long.MAX_VALUE) {
                assertThat(token.expiresAtNanos() - now).isLessThanOrEqualTo(OAuthTokens.LONGEST_LIFE.toNanos());
            }
        } catch (RegistryException expected) {
            assertThat(expected.getMessage()).contains("token endpoint").doesNotContain("secret");
        }
    }
}
