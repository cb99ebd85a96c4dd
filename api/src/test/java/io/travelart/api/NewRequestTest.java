package io.travelart.api;

import io.travelart.core.VirtualTime;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NewRequestTest {

    private static NewRequest.Parsed parse(String json) {
        return NewRequest.parse(json.getBytes(StandardCharsets.UTF_8), "partner", "r-1", Instant.EPOCH, 200);
    }

    @Test
    void aRequestTakesTheKeysSourceAndTheApisIdAndTime() {
        NewRequest.Parsed parsed = parse("{\"keyword\": \"서울의 봄\", \"locale\": \"ko-KR\", \"priority\": \"batch\", \"quality\": \"high\","
                + " \"imageSize\": \"1536x1024\", \"attributes\": {\"campaign\": \"spring\"}, \"style\": null}");
        assertThat(parsed.errors()).isEmpty();
        assertThat(parsed.request().getKeyword()).isEqualTo("서울의 봄");
        assertThat(parsed.request().getSourceSystem()).isEqualTo("partner");
        assertThat(parsed.request().getRequestId()).isEqualTo("r-1");
        assertThat(parsed.request().getAttributes()).containsEntry("campaign", "spring");
        assertThat(parse("{\"keyword\": \"Oslo\"}").request().getAttributes()).isEmpty();
    }

    @Test
    void everyBadFieldHasItsOwnError() {
        NewRequest.Parsed parsed = parse("{\"keyword\": \"" + "k".repeat(201) + "\", \"locale\": \"not a tag\", \"imageSize\": \"1024\","
                + " \"priority\": \"urgent\", \"attributes\": {\"a\": 1}, \"extra\": true}");
        assertThat(parsed.errors()).containsOnlyKeys("keyword", "locale", "imageSize", "priority", "attributes", "extra");
        assertThat(parsed.errors().get("keyword")).isEqualTo("keyword has 201 characters, more than the limit of 200");
        assertThat(parse("{}").errors()).containsOnlyKeys("keyword");
        assertThat(parse("not json").errors()).containsKey(null);
    }

    @Test
    void keysAreKnownByTheirHashOnlyAndAnEntryThatIsNotOneIsRefusedWithoutShowingIt() {
        String key = ApiKeys.newKey();
        ApiKeys keys = ApiKeys.parse(ApiKeys.entry("partner", key) + "\n# a comment\n");
        assertThat(keys.source(key)).contains("partner");
        assertThat(keys.source(key + "x")).isEmpty();
        assertThat(keys.source(null)).isEmpty();
        assertThatThrownBy(() -> ApiKeys.parse("partner=" + key)).hasMessageContaining("partner=…").hasMessageNotContaining(key);
    }

    @Test
    void aKeysBucketRefillsOverTheMinuteAndSaysHowLongToWait() {
        VirtualTime time = new VirtualTime();
        KeyRates rates = new KeyRates(60, time);
        for (int i = 0; i < 60; i++) {
            assertThat(rates.take("a")).isEmpty();
        }
        assertThat(rates.take("a")).hasValueSatisfying(wait -> assertThat(wait).isBetween(Duration.ofMillis(999), Duration.ofSeconds(1)));
        assertThat(rates.take("b")).as("each key holder its own bucket").isEmpty();
        time.advance(Duration.ofSeconds(1));
        assertThat(rates.take("a")).isEmpty();
        assertThat(rates.take("a")).isPresent();
    }
}
