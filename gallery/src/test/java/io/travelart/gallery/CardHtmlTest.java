package io.travelart.gallery;

import io.travelart.core.results.RequestResult;
import io.travelart.core.metrics.PriceTable;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class CardHtmlTest {

    private final CardHtml html = new CardHtml(PriceTable.parse(""));

    @Test
    void everythingFromAnEventIsEscapedAndACardIsOneLine() {
        String card = html.render(new Card(7, GalleryStateTest.ready("r\"1", "<script>alert('x')</script>\n<b>Paris</b>",
                "web & co", "http://images.example/r1?a=1&b=2"), "web & co"));

        assertThat(card).doesNotContain("<script>").doesNotContain("<b>").doesNotContain("\n")
                .contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &lt;b&gt;Paris&lt;/b&gt;")
                .contains("data-request-id=\"r&quot;1\"")
                .contains("src=\"http://images.example/r1?a=1&amp;b=2\"")
                .contains("width=\"1024\" height=\"1024\"")
                .contains("web &amp; co")
                .contains("gpt-5.4-mini · gpt-image-2.6-flare")
                .contains("3.2 s (prompt 0.4 s, image 2.6 s)");
    }

    @Test
    void aStableDiffusionImageShowsItsSeedAndGpuTimeAndOnlyThen() {
        RequestResult.Ready openai = (RequestResult.Ready) GalleryStateTest.ready("r4", "Oslo", null, "http://i/r4");
        assertThat(html.render(new Card(4, openai, null))).doesNotContain("<dt>seed</dt>");
        openai.event().setImageModel("sd_xl_base_1.0");
        openai.event().setSeed(4_242L);
        openai.event().setImageComputeMs(2_500L);
        assertThat(html.render(new Card(5, openai, null))).contains("<dt>seed</dt><dd>4242 · 2.5 s on the GPU</dd>")
                .contains("gpt-5.4-mini · sd_xl_base_1.0");
    }

    @Test
    void anImageUrlThatIsNotHttpGetsNoLink() {
        String card = html.render(new Card(1, GalleryStateTest.ready("r1", "Paris", null, "javascript:alert(1)"), null));
        assertThat(card).doesNotContain("javascript:").contains("no http(s) URL");
    }

    @Test
    void aFailureShowsItsCodeAndTheReplayThatWouldRetryIt() {
        String retriable = html.render(new Card(2, GalleryStateTest.failed("r2", "Paris", "UPSTREAM_5XX", true), "web"));
        assertThat(retriable).contains("class=\"error-code\">UPSTREAM_5XX<").contains("retriable")
                .contains("travelart replay --request-id r2<");
        String permanent = html.render(new Card(3, GalleryStateTest.failed("r 3'", "   ", "INVALID_INPUT", false), null));
        assertThat(permanent).contains("(blank keyword)").contains("permanent")
                .contains("travelart replay --request-id &#39;r 3&#39;\\&#39;&#39;&#39; --include-permanent");
    }

    @Test
    void aProgressCardEscapesWhatTheEventsSay() {
        CardHtml html = new CardHtml(PriceTable.parse(""));
        String card = html.render(new Progress(9, "r\"9", "<img src=x onerror=alert(1)>", "<b>web</b>", Progress.Step.DRAWING,
                java.time.Instant.parse("2026-11-26T10:00:00Z"), "a prompt with </p><script>x</script>"));
        assertThat(card).startsWith("<article class=\"card progress\" data-request-id=\"r&quot;9\" data-seq=\"9\" data-step=\"DRAWING\">")
                .contains("drawing…").contains("&lt;img src=x onerror=alert(1)&gt;").contains("&lt;b&gt;web&lt;/b&gt;")
                .doesNotContain("<script>").doesNotContain("<img").doesNotContain("\n");
    }
}
