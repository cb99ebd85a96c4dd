package io.travelart.events;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class RequestBoundsTest {

    private static KeywordRequested.Builder valid() {
        return KeywordRequested.newBuilder().setRequestId("3f2b0c1e-4d5a-4b6c-9d7e-8f9a0b1c2d3e").setKeyword("겨울밤의 파리")
                .setLocale("ko-KR").setStyle("watercolor").setImageSize("1024x1024").setSourceSystem("catalogue")
                .setRequestedAt(Instant.EPOCH).setAttributes(Map.of("campaign", "winter"));
    }

    private static Optional<String> problem(KeywordRequested.Builder request) {
        return RequestBounds.problem(request.build(), 200);
    }

    @Test
    void aRequestWithinEveryBoundPasses() {
        assertThat(problem(valid())).isEmpty();
        assertThat(problem(valid().setLocale(null).setStyle(null).setSourceSystem(null).setAttributes(Map.of()))).isEmpty();
        assertThat(problem(valid().setKeyword("x".repeat(200)).setStyle("s".repeat(RequestBounds.STYLE_MAX)))).isEmpty();
    }

    @Test
    void eachFieldOutOfItsBoundIsNamedWithoutEchoingItWhole() {
        String megabyte = "x".repeat(1_000_000);
        assertThat(problem(valid().setStyle(megabyte))).get().asString()
                .startsWith("style has 1000000 characters, more than the limit of 200").hasSizeLessThan(200);
        assertThat(problem(valid().setRequestId(megabyte))).get().asString().startsWith("requestId 'xxx").hasSizeLessThan(200);
        assertThat(problem(valid().setRequestId("요청-1"))).get().asString().contains("A-Z a-z 0-9");
        assertThat(problem(valid().setRequestId("a\r\nforged log line"))).get().asString().contains("\\u000d\\u000a");
        assertThat(problem(valid().setKeyword("x".repeat(201)))).get().asString().contains("keyword has 201 characters");
        assertThat(problem(valid().setKeyword("Paris\u001b]52;c;bad\u0007"))).get().asString().contains("control characters");
        assertThat(problem(valid().setLocale("ko_KR; DROP"))).get().asString().contains("not a BCP 47 tag");
        assertThat(problem(valid().setSourceSystem(megabyte))).get().asString().startsWith("sourceSystem has");
        assertThat(problem(valid().setImageSize(megabyte))).get().asString().startsWith("imageSize has");
        assertThat(problem(valid().setQuality(megabyte))).get().asString().startsWith("quality has");
        assertThat(problem(valid().setPriority(megabyte))).get().asString().startsWith("priority has");
    }

    @Test
    void attributesAreBoundedInCountKeyValueAndTotal() {
        Map<String, String> many = new HashMap<>();
        for (int i = 0; i < 60_000; i++) {
            many.put("k" + i, "v");
        }
        assertThat(problem(valid().setAttributes(many))).get().asString().isEqualTo("attributes has 60000 entries, more than the limit of 64");
        assertThat(problem(valid().setAttributes(Map.of("k".repeat(65), "v")))).get().asString().contains("attribute key");
        assertThat(problem(valid().setAttributes(Map.of("k", "v".repeat(1025))))).get().asString().contains("1025 characters");
        Map<String, String> heavy = new HashMap<>();
        for (int i = 0; i < 10; i++) {
            heavy.put("k" + i, "v".repeat(1000));
        }
        assertThat(problem(valid().setAttributes(heavy))).get().asString().startsWith("attributes have 10020 bytes");
    }

    @Test
    void aPromptCreatedIsCheckedForItsRequestItsPromptAndItsOwnId() {
        KeywordRequested request = valid().build();
        PromptCreated.Builder event = PromptCreated.newBuilder().setRequestId(request.getRequestId()).setRequest(request)
                .setPrompt("Concept art of Paris").setModel("gpt-5.4-mini").setPromptLatencyMs(1).setCreatedAt(Instant.EPOCH);
        assertThat(RequestBounds.problem(event.build())).isEmpty();
        assertThat(RequestBounds.problem(event.setPrompt("p".repeat(RequestBounds.PROMPT_MAX + 1)).build())).get().asString()
                .startsWith("prompt has 32001 characters");
        assertThat(RequestBounds.problem(event.setPrompt(" ").build())).contains("prompt is blank");
        assertThat(RequestBounds.problem(event.setPrompt("ok").setRequestId("another").build())).get().asString()
                .contains("is not its request's");
        assertThat(RequestBounds.problem(PromptCreated.newBuilder(event.build()).setRequestId(request.getRequestId())
                .setRequest(valid().setStyle("s".repeat(300)).build()).build())).get().asString().startsWith("style has 300");
    }

    @Test
    void shownValuesAreShortQuotedAndFreeOfControlCharacters() {
        assertThat(RequestBounds.shown("Kyoto")).isEqualTo("'Kyoto'");
        assertThat(RequestBounds.shown(null)).isEqualTo("null");
        assertThat(RequestBounds.shown("a'b\nc")).isEqualTo("'a\\u0027b\\u000ac'");
        assertThat(RequestBounds.shown("y".repeat(41))).isEqualTo("'" + "y".repeat(40) + "'… (41 chars)");
        assertThat(RequestBounds.shown("😀".repeat(40))).isEqualTo("'" + "😀".repeat(40) + "'");
    }
}
