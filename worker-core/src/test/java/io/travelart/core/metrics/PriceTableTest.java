package io.travelart.core.metrics;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class PriceTableTest {

    @Test
    void theDefaultsPriceTheDefaultModelsAndADatedNameIsPricedAsItsModel() {
        PriceTable prices = PriceTable.parse(null);

        // 1,000 input and 500 output tokens of gpt-5.4-mini: 0.00075 + 0.00225 dollars
        assertThat(prices.of("gpt-5.4-mini").orElseThrow().of(1_000, 500)).isCloseTo(0.003, within(1e-12));
        assertThat(prices.of("gpt-5.4-mini-2026-03-17")).isEqualTo(prices.of("gpt-5.4-mini"));
        assertThat(prices.of("dall-e-3").orElseThrow().perImage()).isEqualTo(0.04);
        assertThat(prices.of("gpt-5.4")).isEmpty();
        assertThat(prices.of(null)).isEmpty();
    }

    @Test
    void gptImage26IsPricedForBothItsModelsAndARequestCostsItsPromptAndItsImage() {
        PriceTable prices = PriceTable.parse(null);

        assertThat(prices.of("gpt-image-2.6-flare")).isEqualTo(prices.of("gpt-image-2.6-sunburst"));
        // 1,056 output tokens (a medium 1024x1024 image) and 40 text input tokens: 0.03168 + 0.0002 dollars
        assertThat(prices.of("gpt-image-2.6-flare").orElseThrow().of(40, 1_056)).isCloseTo(0.03188, within(1e-12));
        double request = prices.requestCost("gpt-5.4-mini", new io.travelart.events.TokenUsage(1_000L, 500L, 1_500L),
                "gpt-image-2.6-flare", new io.travelart.events.TokenUsage(40L, 1_056L, 1_096L));
        assertThat(request).isCloseTo(0.003 + 0.03188, within(1e-12));
        assertThat(prices.requestCost("gpt-5.4-mini", null, "dall-e-3", null)).isEqualTo(0.04);
    }

    @Test
    void anOverrideReplacesAModelAndAddsOthers() {
        PriceTable prices = PriceTable.parse(" gpt-5.4-mini input=1 output=2 ;my-model image=0.5");

        assertThat(prices.of("gpt-5.4-mini").orElseThrow()).isEqualTo(new PriceTable.Price(1, 2, 0, 0));
        assertThat(prices.of("my-model").orElseThrow().perImage()).isEqualTo(0.5);
        assertThat(prices.of("gpt-image-1-mini")).isPresent();
    }

    @Test
    void aSelfHostedModelCostsNothingUnlessPricedPerImageOrPerGpuSecond() {
        assertThat(PriceTable.parse(null).of("sd_xl_base_1.0")).isEmpty();
        PriceTable prices = PriceTable.parse("sd_xl_base_1.0 gpu_second=0.0008; flux-dev image=0.001 gpu_second=0.002");

        // 2.5 GPU-seconds at $0.0008
        assertThat(prices.requestCost(null, null, "sd_xl_base_1.0", null)).isZero();
        assertThat(prices.of("sd_xl_base_1.0").orElseThrow().ofImage(2_500L)).isCloseTo(0.002, within(1e-12));
        assertThat(prices.of("flux-dev").orElseThrow().ofImage(1_000L)).isCloseTo(0.003, within(1e-12));
        assertThat(prices.of("flux-dev").orElseThrow().ofImage(null)).isCloseTo(0.001, within(1e-12));
    }

    @Test
    void aBadEntrySaysWhatIsAccepted() {
        assertThatThrownBy(() -> PriceTable.parse("gpt-5.4-mini input=cheap")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'input=cheap' for gpt-5.4-mini").hasMessageContaining("e.g. input=0.75");
        assertThatThrownBy(() -> PriceTable.parse("gpt-5.4-mini cached=0.1")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'cached' for gpt-5.4-mini is not one of input, output");
    }
}
