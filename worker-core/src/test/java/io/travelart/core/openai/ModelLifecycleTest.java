package io.travelart.core.openai;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.travelart.core.config.ConfigException;
import io.travelart.core.failure.ErrorCodes;
import io.travelart.core.failure.Failure;
import io.travelart.core.engine.StageGate;
import io.travelart.devstack.openai.OpenAiSimulator;
import io.travelart.devstack.openai.SimulatorSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The lifecycle check against the simulator's models endpoint, on a fixed "today" where dates matter. */
class ModelLifecycleTest {

    private static OpenAiSimulator simulator;
    private static com.openai.client.OpenAIClient client;
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private static final ModelLifecycle.Config CHECK = new ModelLifecycle.Config(true, Duration.ofDays(30), Duration.ofDays(1));

    @BeforeAll
    static void start() {
        simulator = OpenAiSimulator.start(SimulatorSettings.instant());
        client = OpenAiClients.create(new OpenAiConfig(Optional.of("sk-test"), simulator.baseUrl(), Duration.ofSeconds(10), true), 2);
    }

    @AfterAll
    static void stop() {
        client.close();
        simulator.close();
    }

    @AfterEach
    void restore() {
        simulator.modelsEndpoint(true);
        simulator.revokeKey(false);
        simulator.models().shutDownOn("gpt-image-2.6-flare", null);
    }

    private ModelLifecycle lifecycle(String model, Clock clock) {
        return new ModelLifecycle(client, Map.of("TRAVELART_IMAGE_MODEL", model), CHECK, clock, registry);
    }

    private static Clock on(LocalDate day) {
        return Clock.fixed(day.atStartOfDay().toInstant(ZoneOffset.UTC), ZoneOffset.UTC);
    }

    @Test
    void aShutDownModelRefusesTheStartInOneLineNamingDateAndReplacement() {
        // gpt-image-1 was shut down by OpenAI on 2026-10-23: the simulator answers 404 model_not_found for it.
        assertThatThrownBy(() -> lifecycle("gpt-image-1", Clock.systemUTC()).requireUsable())
                .isInstanceOf(ConfigException.class)
                .hasMessage("TRAVELART_IMAGE_MODEL=gpt-image-1 was shut down on 2026-10-23; replacement: gpt-image-2.6-flare "
                        + "(HTTP 404 model_not_found)");
        assertThatThrownBy(() -> lifecycle("gpt-image-9", Clock.systemUTC()).requireUsable())
                .hasMessage("TRAVELART_IMAGE_MODEL=gpt-image-9 is not served by the provider (HTTP 404 model_not_found)");

        // Served today, but past its date on the worker's clock.
        simulator.models().shutDownOn("gpt-image-2.6-flare", LocalDate.of(2027, 3, 1));
        assertThatThrownBy(() -> lifecycle("gpt-image-2.6-flare", on(LocalDate.of(2027, 3, 2))).requireUsable())
                .isInstanceOf(ConfigException.class)
                .hasMessage("TRAVELART_IMAGE_MODEL=gpt-image-2.6-flare was shut down on 2027-03-01 (its shutdown date has passed)")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void aDateTwentyDaysAheadWarnsAndSetsTheGauge() {
        simulator.models().shutDownOn("gpt-image-2.6-flare", LocalDate.of(2027, 1, 15));
        try (ModelLifecycle lifecycle = lifecycle("gpt-image-2.6-flare", on(LocalDate.of(2026, 12, 26)))) {
            ModelLifecycle.Status status = lifecycle.check().get(0);
            assertThat(status.state()).isEqualTo(ModelLifecycle.State.SHUTTING_DOWN);
            assertThat(status.daysLeft()).contains(20L);
            assertThat(status.describe()).isEqualTo("TRAVELART_IMAGE_MODEL=gpt-image-2.6-flare shuts down on 2027-01-15, in 20 days");

            lifecycle.requireUsable();
            assertThat(registry.get(ModelLifecycle.SHUTDOWN_DAYS).tag("model", "gpt-image-2.6-flare").gauge().value()).isEqualTo(20.0);
        }
        // 40 days ahead: served, outside the window, the date still shown.
        try (ModelLifecycle lifecycle = lifecycle("gpt-image-2.6-flare", on(LocalDate.of(2026, 12, 6)))) {
            assertThat(lifecycle.check().get(0).state()).isEqualTo(ModelLifecycle.State.SERVED);
        }
    }

    @Test
    void aProviderWithoutTheEndpointTurnsTheCheckOffAndGoesOn() {
        simulator.modelsEndpoint(false);
        try (ModelLifecycle lifecycle = lifecycle("gpt-image-2.6-flare", Clock.systemUTC())) {
            lifecycle.requireUsable();
            assertThat(lifecycle.check().get(0).state()).isEqualTo(ModelLifecycle.State.NO_ENDPOINT);
            assertThat(lifecycle.probe().check(Failure.retriable(ErrorCodes.MODEL_UNAVAILABLE, "gone")))
                    .isEqualTo(StageGate.Verdict.CANNOT_TELL);
        }
    }

    @Test
    void theFreeProbeTellsAKeyOrAModelButNotAQuota() {
        ModelLifecycle lifecycle = lifecycle("gpt-image-2.6-flare", Clock.systemUTC());
        Failure auth = Failure.retriable(ErrorCodes.AUTH, "HTTP 401");
        simulator.revokeKey(true);
        assertThat(lifecycle.check().get(0).state()).isEqualTo(ModelLifecycle.State.KEY_REFUSED);
        assertThat(lifecycle.probe().check(auth)).isEqualTo(StageGate.Verdict.STILL_FAILING);
        simulator.revokeKey(false);
        assertThat(lifecycle.probe().check(auth)).isEqualTo(StageGate.Verdict.CLEARED);

        simulator.models().shutDownOn("gpt-image-2.6-flare", LocalDate.now(ZoneOffset.UTC));
        assertThat(lifecycle.probe().check(Failure.retriable(ErrorCodes.MODEL_UNAVAILABLE, "gone")))
                .isEqualTo(StageGate.Verdict.STILL_FAILING);
        assertThat(lifecycle.probe().check(Failure.retriable(ErrorCodes.QUOTA_EXHAUSTED, "pay")))
                .isEqualTo(StageGate.Verdict.CANNOT_TELL);
    }

    @Test
    void theProvidersErrorsForAWorkersFailureAreClassifiedAsSuch() {
        simulator.models().shutDownOn("gpt-image-2.6-flare", LocalDate.now(ZoneOffset.UTC));
        Throwable gone = org.assertj.core.api.Assertions.catchThrowable(() -> client.images().generate(
                com.openai.models.images.ImageGenerateParams.builder().model("gpt-image-2.6-flare").prompt("Rome").build()));
        assertThat(new OpenAiErrors(java.time.Clock.systemUTC()).classify(gone).code()).isEqualTo(ErrorCodes.MODEL_UNAVAILABLE);

        simulator.exhaustQuota(true);
        try {
            simulator.models().shutDownOn("gpt-image-2.6-flare", null);
            Throwable quota = org.assertj.core.api.Assertions.catchThrowable(() -> client.images().generate(
                    com.openai.models.images.ImageGenerateParams.builder().model("gpt-image-2.6-flare").prompt("Rome").build()));
            assertThat(new OpenAiErrors(java.time.Clock.systemUTC()).classify(quota).code()).isEqualTo(ErrorCodes.QUOTA_EXHAUSTED);
            assertThat(ErrorCodes.belongsToWorker(ErrorCodes.QUOTA_EXHAUSTED)).isTrue();
        } finally {
            simulator.exhaustQuota(false);
        }
    }
}
