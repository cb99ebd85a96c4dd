package io.travelart.gallery;

import io.travelart.core.metrics.PriceTable;
import io.travelart.events.ImageReady;
import io.travelart.events.RequestFailed;

import java.time.Duration;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * A card as one line of HTML (one line is what a server-sent event's data field carries). Every value from
 * an event is escaped ({@link Html}); image URLs are used only when they are http(s).
 */
final class CardHtml {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneId.systemDefault());

    private final PriceTable prices;

    CardHtml(PriceTable prices) {
        this.prices = prices;
    }

    String render(Shown shown) {
        return switch (shown) {
            case Card card when card.ready() -> ready(card);
            case Card card -> failed(card);
            case Progress progress -> progress(progress);
        };
    }

    /** A request on its way: where it is and since when, in the images' grid where its image will take its place. */
    private String progress(Progress p) {
        StringBuilder html = new StringBuilder(512);
        html.append("<article class=\"card progress\" data-request-id=\"").append(Html.escape(p.key()))
                .append("\" data-seq=\"").append(p.seq()).append("\" data-step=\"").append(p.step().name()).append("\">")
                .append("<div class=\"frame pending\"><span class=\"step\">").append(Html.escape(p.step().words))
                .append("…</span></div><div class=\"meta\"><h3 class=\"keyword\">").append(Html.escape(p.keyword())).append("</h3>");
        if (p.prompt() != null) {
            html.append("<p class=\"prompt\" title=\"").append(Html.escape(p.prompt())).append("\">").append(Html.escape(p.prompt()))
                    .append("</p>");
        }
        html.append("<dl>").append(row("since", TIME.format(p.at())));
        if (p.sourceSystem() != null) {
            html.append(row("source", p.sourceSystem()));
        }
        return html.append("<dt>request</dt><dd><code>").append(Html.escape(p.key())).append("</code></dd></dl></div></article>")
                .toString();
    }

    private String ready(Card card) {
        ImageReady e = card.readyEvent();
        String keyword = Html.escape(e.getRequest().getKeyword());
        String url = Html.url(e.getImageUrl());
        StringBuilder html = new StringBuilder(1024);
        html.append("<article class=\"card image\" data-request-id=\"").append(Html.escape(card.key()))
                .append("\" data-seq=\"").append(card.seq()).append("\">");
        if (url != null) {
            html.append("<a class=\"frame\" href=\"").append(url).append("\" target=\"_blank\" rel=\"noopener\">")
                    .append("<img src=\"").append(url).append("\" width=\"").append(e.getWidth()).append("\" height=\"")
                    .append(e.getHeight()).append("\" loading=\"lazy\" alt=\"").append(keyword).append("\"></a>");
        } else {
            html.append("<div class=\"frame missing\">no http(s) URL</div>");
        }
        double cost = prices.requestCost(e);
        long total = Duration.between(e.getRequest().getRequestedAt(), e.getCreatedAt()).toMillis();
        html.append("<div class=\"meta\"><h3 class=\"keyword\">").append(keyword).append("</h3>")
                .append("<p class=\"prompt\" title=\"").append(Html.escape(e.getPrompt())).append("\">")
                .append(Html.escape(e.getPrompt())).append("</p><dl>")
                .append(row("models", e.getPromptModel() + " · " + e.getImageModel()))
                .append(row("cost", String.format(Locale.ROOT, "$%.4f estimated", cost)))
                .append(row("lane", "batch".equals(e.getLane()) ? "batch (half price)" : "interactive"))
                .append(row("took", String.format(Locale.ROOT, "%s (prompt %s, image %s)", seconds(total),
                        seconds(e.getPromptLatencyMs()), seconds(e.getImageLatencyMs()))))
                .append(row("size", e.getWidth() + "×" + e.getHeight() + " " + e.getContentType()));
        if (e.getSeed() != null) {
            // Self-hosted Stable Diffusion (ComfyUI): the seed redraws the image; the GPU time prices it.
            html.append(row("seed", e.getSeed() + (e.getImageComputeMs() == null ? "" : " · " + seconds(e.getImageComputeMs()) + " on the GPU")));
        }
        if (e.getRequest().getSourceSystem() != null) {
            html.append(row("source", e.getRequest().getSourceSystem()));
        }
        html.append("<dt>request</dt><dd><code>").append(Html.escape(card.key())).append("</code></dd>")
                .append(row("ready", TIME.format(e.getCreatedAt())))
                .append("</dl></div></article>");
        return html.toString();
    }

    private String failed(Card card) {
        RequestFailed e = card.failedEvent();
        StringBuilder html = new StringBuilder(768);
        html.append("<article class=\"card failure\" data-request-id=\"").append(Html.escape(card.key()))
                .append("\" data-seq=\"").append(card.seq()).append("\">")
                .append("<h3 class=\"keyword\">").append(card.keyword() == null || card.keyword().isBlank()
                        ? "<span class=\"blank\">(blank keyword)</span>" : Html.escape(card.keyword())).append("</h3>")
                .append("<p class=\"code\"><span class=\"error-code\">").append(Html.escape(e.getErrorCode()))
                .append("</span> at ").append(Html.escape(e.getStage())).append(" · ")
                .append(e.getRetriable() ? "retriable" : "permanent").append(" · ").append(e.getAttempts())
                .append(e.getAttempts() == 1 ? " attempt" : " attempts").append("</p>")
                .append("<p class=\"message\">").append(Html.escape(e.getMessage())).append("</p>")
                .append("<pre class=\"replay\">").append(Html.escape(replayLine(e))).append("</pre>")
                .append("<p class=\"when\">").append(TIME.format(e.getLastFailureAt()));
        if (card.sourceSystem() != null) {
            html.append(" · ").append(Html.escape(card.sourceSystem()));
        }
        if (e.getRequestId() != null) {
            html.append(" · <code>").append(Html.escape(e.getRequestId())).append("</code>");
        }
        return html.append("</p></article>").toString();
    }

    /** The command that would send the request through again (or, for input without an id, show it). */
    static String replayLine(RequestFailed e) {
        if (e.getRequestId() == null) {
            return "travelart failed --stage " + shellQuote(e.getStage()) + " --code " + shellQuote(e.getErrorCode())
                    + "   # unreadable input: no id to replay";
        }
        return "travelart replay --request-id " + shellQuote(e.getRequestId()) + (e.getRetriable() ? "" : " --include-permanent");
    }

    private static String shellQuote(String text) {
        return text.matches("[A-Za-z0-9._:-]+") ? text : "'" + text.replace("'", "'\\''") + "'";
    }

    private static String row(String name, String value) {
        return "<dt>" + name + "</dt><dd>" + Html.escape(value) + "</dd>";
    }

    private static String seconds(long millis) {
        return String.format(Locale.ROOT, "%.1f s", millis / 1000.0);
    }
}
