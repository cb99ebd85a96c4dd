package io.travelart.core.openai;

import com.openai.client.OpenAIClient;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import io.travelart.core.failure.ErrorCodes;
import io.travelart.core.failure.Failure;
import io.travelart.devstack.openai.OpenAiSimulator;
import io.travelart.devstack.openai.SimulatorSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/** What the SDK really throws, against the simulator, becomes the right code. */
class OpenAiErrorsTest {

    private static final OpenAiErrors ERRORS = new OpenAiErrors(java.time.Clock.systemUTC());

    private static OpenAiSimulator simulator;

    @BeforeAll
    static void start() {
        simulator = OpenAiSimulator.start(SimulatorSettings.instant());
    }

    @AfterAll
    static void stop() {
        simulator.close();
    }

    private static Failure failureOf(String baseUrl, Duration timeout, String keyword) {
        return ERRORS.classify(thrown(baseUrl, timeout, keyword));
    }

    private static Throwable thrown(String baseUrl, Duration timeout, String keyword) {
        OpenAIClient client = OpenAiClients.create(new OpenAiConfig(Optional.of("sk-test"), baseUrl, timeout, true), 4);
        try {
            Throwable thrown = catchThrowable(() -> client.chat().completions().create(ChatCompletionCreateParams.builder()
                    .model("gpt-5.4-mini").addUserMessage("<keyword>" + keyword + "</keyword>").build()));
            assertThat(thrown).as("the call should have failed").isNotNull();
            return thrown;
        } finally {
            client.close();
        }
    }

    @Test
    void theProvidersRetryHeadersAreRead() {
        simulator.settings(SimulatorSettings.instant().withFaults(429, 1.0));
        try {
            Throwable limited = thrown(simulator.baseUrl(), Duration.ofSeconds(10), "Rome");
            // The simulator sends retry-after-ms: 1000 and Retry-After: 1; the millisecond header wins.
            assertThat(ERRORS.retryAfter(limited)).contains(Duration.ofSeconds(1));
        } finally {
            simulator.settings(SimulatorSettings.instant());
        }
        assertThat(ERRORS.retryAfter(new IllegalStateException("not from the provider"))).isEmpty();
    }

    private static Failure failureWith(SimulatorSettings settings) {
        simulator.settings(settings);
        try {
            return failureOf(simulator.baseUrl(), Duration.ofSeconds(10), "Rome");
        } finally {
            simulator.settings(SimulatorSettings.instant());
        }
    }

    @Test
    void contentPolicyIsPermanent() {
        Failure failure = failureOf(simulator.baseUrl(), Duration.ofSeconds(10), "Rome " + SimulatorSettings.DEFAULT_REFUSAL_MARKER);
        assertThat(failure.code()).isEqualTo(ErrorCodes.CONTENT_POLICY);
        assertThat(failure.retriable()).isFalse();
    }

    @Test
    void rateLimitsAndServerErrorsAreRetriable() {
        Failure limited = failureWith(SimulatorSettings.instant().withFaults(429, 1.0));
        assertThat(limited.code()).isEqualTo(ErrorCodes.RATE_LIMITED);
        assertThat(limited.retriable()).isTrue();

        Failure down = failureWith(SimulatorSettings.instant().withFaults(503, 1.0));
        assertThat(down.code()).isEqualTo(ErrorCodes.UPSTREAM_5XX);
        assertThat(down.retriable()).isTrue();
    }

    @Test
    void timeoutsAndUnreachableProvidersAreRetriable() {
        simulator.settings(SimulatorSettings.instant().withLatency(Duration.ofSeconds(2), Duration.ZERO));
        try {
            Failure timedOut = failureOf(simulator.baseUrl(), Duration.ofMillis(300), "Rome");
            assertThat(timedOut.code()).isEqualTo(ErrorCodes.TIMEOUT);
            assertThat(timedOut.retriable()).isTrue();
        } finally {
            simulator.settings(SimulatorSettings.instant());
        }

        Failure unreachable = failureOf("http://127.0.0.1:1/v1", Duration.ofSeconds(5), "Rome");
        assertThat(unreachable.code()).isEqualTo(ErrorCodes.NETWORK);
        assertThat(unreachable.retriable()).isTrue();
    }
}
