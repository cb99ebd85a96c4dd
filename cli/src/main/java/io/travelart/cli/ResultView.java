package io.travelart.cli;

import io.travelart.core.results.RequestResult;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.travelart.core.metrics.PriceTable;
import io.travelart.events.ImageReady;
import io.travelart.events.RequestFailed;

import java.nio.file.Path;

/** How the commands show a finished request: a table row, or one JSON object per line. */
final class ResultView {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ResultView() {
    }

    /**
     * {@code requestId}, {@code keyword}, {@code status} (ready or failed), {@code prompt}, {@code imageUrl},
     * {@code imageFile} (when known on this machine), {@code errorCode}, {@code promptModel}, {@code imageModel} and
     * {@code estimatedCostUsd} (the prompt's and the image's tokens at {@code prices}; a failed request's is not known);
     * absent values are null.
     */
    static String json(RequestResult result, String keyword, Path imageFile, PriceTable prices) {
        ObjectNode node = JSON.createObjectNode();
        node.put("requestId", result.requestId());
        if (result instanceof RequestResult.Ready ready) {
            ImageReady event = ready.event();
            node.put("keyword", event.getRequest().getKeyword());
            node.put("status", "ready");
            node.put("prompt", event.getPrompt());
            node.put("imageUrl", event.getImageUrl());
            node.put("imageFile", imageFile == null ? null : imageFile.toString());
            node.putNull("errorCode");
            node.put("promptModel", event.getPromptModel());
            node.put("imageModel", event.getImageModel());
            double cost = prices.requestCost(event);
            node.put("estimatedCostUsd", Math.round(cost * 1e6) / 1e6);
            node.put("lane", event.getLane() == null ? "interactive" : event.getLane());
            node.put("seed", event.getSeed());
        } else {
            RequestFailed event = ((RequestResult.Failed) result).event();
            node.put("keyword", event.getKeyword() != null ? event.getKeyword() : keyword);
            node.put("status", "failed");
            node.putNull("prompt");
            node.putNull("imageUrl");
            node.putNull("imageFile");
            node.put("errorCode", event.getErrorCode());
            node.putNull("promptModel");
            node.putNull("imageModel");
            node.putNull("estimatedCostUsd");
            node.putNull("lane");
            node.putNull("seed");
        }
        return node.toString();
    }

    static String tableHeader() {
        return String.format("%-8s %-6s %-11s %-36s %-24s %s", "TIME", "STATUS", "LANE", "REQUEST ID", "KEYWORD", "IMAGE URL / ERROR");
    }

    /** One line per result, whatever the event's text holds: control characters are shown, not sent to the terminal. */
    static String tableRow(RequestResult result) {
        return Terminal.safe(rawRow(result));
    }

    private static String rawRow(RequestResult result) {
        return switch (result) {
            case RequestResult.Ready(ImageReady e) -> String.format("%-8s %-6s %-11s %-36s %s %s", time(e.getCreatedAt()), "ready",
                    e.getLane() == null ? "interactive" : e.getLane(), e.getRequestId(), column(e.getRequest().getKeyword(), 24), e.getImageUrl());
            case RequestResult.Failed(RequestFailed e) -> String.format("%-8s %-6s %-11s %-36s %s %s at %s: %s",
                    time(e.getLastFailureAt()), "failed", "-", e.getRequestId() == null ? "-" : e.getRequestId(),
                    column(e.getKeyword() == null ? "-" : e.getKeyword(), 24), e.getErrorCode(), e.getStage(), cut(e.getMessage(), 80));
        };
    }

    private static String time(java.time.Instant instant) {
        return java.time.format.DateTimeFormatter.ofPattern("HH:mm:ss").withZone(java.time.ZoneId.systemDefault()).format(instant);
    }

    /**
     * The text cut or padded to {@code width} terminal columns; Hangul and other East Asian wide
     * characters take two, so that "겨울밤의 파리" lines up with "Kyoto".
     */
    static String column(String text, int width) {
        boolean fits = text.codePoints().map(ResultView::columns).sum() <= width;
        int room = fits ? width : width - 1;
        StringBuilder out = new StringBuilder();
        int used = 0;
        for (int cp : text.codePoints().toArray()) {
            if (used + columns(cp) > room) {
                break;
            }
            out.appendCodePoint(cp);
            used += columns(cp);
        }
        if (!fits) {
            out.append('…');
            used++;
        }
        return out + " ".repeat(width - used);
    }

    private static int columns(int cp) {
        return wide(cp) ? 2 : 1;
    }

    private static boolean wide(int cp) {
        return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) || (cp >= 0xAC00 && cp <= 0xD7A3)
                || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60)
                || (cp >= 0xFFE0 && cp <= 0xFFE6);
    }

    static String cut(String text, int max) {
        return text.length() <= max ? text : text.substring(0, max - 1) + "…";
    }
}
