package io.travelart.core.engine;

import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class EventHeadersTest {

    private static String text(Headers headers, String key) {
        var header = headers.lastHeader(key);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    @Test
    void anOutputContinuesTheInputsTraceWithANewSpanAndCarriesTheReplayCount() {
        String parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        Headers input = new RecordHeaders()
                .add(EventHeaders.TRACEPARENT, parent.getBytes(StandardCharsets.US_ASCII))
                .add(EventHeaders.TRACESTATE, "vendor=x".getBytes(StandardCharsets.US_ASCII))
                .add(EventHeaders.REPLAY_COUNT, EventHeaders.replayCountValue(2))
                .add(EventHeaders.CE_ID, "input-id".getBytes(StandardCharsets.US_ASCII))
                .add("some-other", "x".getBytes(StandardCharsets.US_ASCII));

        Headers output = new EventHeaders.Template("io.travelart.events.PromptCreated", "/travelart/prompt")
                .forOutput(input, "req-1", Instant.parse("2026-11-25T10:00:00Z"));

        assertThat(text(output, EventHeaders.TRACEPARENT)).matches("00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01")
                .isNotEqualTo(parent);
        assertThat(text(output, EventHeaders.TRACESTATE)).isEqualTo("vendor=x");
        assertThat(EventHeaders.replayCount(output.lastHeader(EventHeaders.REPLAY_COUNT).value())).isEqualTo(2);
        assertThat(text(output, EventHeaders.CE_ID)).isNotEqualTo("input-id").hasSize(36);
        assertThat(text(output, EventHeaders.CE_TYPE)).isEqualTo("io.travelart.events.PromptCreated");
        assertThat(text(output, EventHeaders.CE_SOURCE)).isEqualTo("/travelart/prompt");
        assertThat(text(output, EventHeaders.CE_SPECVERSION)).isEqualTo("1.0");
        assertThat(text(output, EventHeaders.CE_TIME)).isEqualTo("2026-11-25T10:00:00Z");
        assertThat(text(output, EventHeaders.CE_SUBJECT)).isEqualTo("req-1");
        assertThat(text(output, EventHeaders.CONTENT_TYPE)).isEqualTo("application/avro");
        assertThat(output.lastHeader("some-other")).isNull();
        assertThat(output.headers(EventHeaders.CE_ID)).hasSize(1);
    }

    @Test
    void withoutAValidTraceparentAnOutputStartsATrace() {
        Headers input = new RecordHeaders().add(EventHeaders.TRACEPARENT,
                "00-00000000000000000000000000000000-00f067aa0ba902b7-01".getBytes(StandardCharsets.US_ASCII));

        String traceparent = text(new EventHeaders.Template("t", "/s").forOutput(input, null, Instant.EPOCH), EventHeaders.TRACEPARENT);

        assertThat(traceparent).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-01");
        assertThat(EventHeaders.traceId(traceparent.getBytes(StandardCharsets.US_ASCII))).get()
                .isNotEqualTo("00000000000000000000000000000000");
        assertThat(text(EventHeaders.forNew("t", "/s", null, Instant.EPOCH), EventHeaders.CE_SUBJECT)).isNull();
    }
}
