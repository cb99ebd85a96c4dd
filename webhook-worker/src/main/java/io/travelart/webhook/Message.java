package io.travelart.webhook;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.travelart.core.failure.ErrorCodes;
import io.travelart.core.json.Json;
import io.travelart.events.ImageReady;
import io.travelart.events.RequestFailed;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;

/**
 * One event as a webhook: its Standard Webhooks payload ({@code {"type", "timestamp", "data"}}) and its id. The id comes
 * from the event itself (type, request, the event's own time), so every attempt and every replay of one event carries
 * the same {@code webhook-id}, and two events of one request (a failure, then after a replay the image) two ids.
 */
public record Message(String type, String webhookId, String requestId, String sourceSystem, Instant eventAt, byte[] body) {

    public static final String IMAGE_READY = "image.ready";
    public static final String REQUEST_FAILED = "request.failed";

    private static final ObjectMapper JSON = Json.mapper();

    public static Message of(ImageReady event) {
        ObjectNode data = JSON.createObjectNode();
        data.put("requestId", event.getRequestId());
        data.put("state", "READY");
        data.put("keyword", event.getRequest().getKeyword());
        data.put("sourceSystem", event.getRequest().getSourceSystem());
        data.put("imageUrl", event.getImageUrl());
        data.put("contentType", event.getContentType());
        data.put("width", event.getWidth());
        data.put("height", event.getHeight());
        data.put("sizeBytes", event.getSizeBytes());
        data.put("sha256", event.getSha256());
        data.put("prompt", event.getPrompt());
        data.put("promptModel", event.getPromptModel());
        data.put("imageModel", event.getImageModel());
        data.put("lane", event.getLane() == null ? "interactive" : event.getLane());
        data.put("createdAt", event.getCreatedAt().toString());
        return of(IMAGE_READY, event.getRequestId(), event.getRequest().getSourceSystem(), event.getCreatedAt(), data);
    }

    /** @param sourceSystem whose request it was: the failure event does not say, its original record does */
    public static Message of(RequestFailed event, String sourceSystem, String keyword) {
        ObjectNode data = JSON.createObjectNode();
        data.put("requestId", event.getRequestId());
        data.put("state", ErrorCodes.CANCELLED.equals(event.getErrorCode()) ? "CANCELLED" : "FAILED");
        data.put("keyword", event.getKeyword() != null ? event.getKeyword() : keyword);
        data.put("sourceSystem", sourceSystem);
        data.put("stage", event.getStage());
        data.put("errorCode", event.getErrorCode());
        data.put("message", event.getMessage());
        data.put("retriable", event.getRetriable());
        data.put("attempts", event.getAttempts());
        data.put("failedAt", event.getLastFailureAt().toString());
        return of(REQUEST_FAILED, event.getRequestId(), sourceSystem, event.getLastFailureAt(), data);
    }

    private static Message of(String type, String requestId, String sourceSystem, Instant eventAt, ObjectNode data) {
        ObjectNode payload = JSON.createObjectNode();
        payload.put("type", type);
        payload.put("timestamp", eventAt.toString());
        payload.set("data", data);
        byte[] body;
        try {
            body = JSON.writeValueAsBytes(payload);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("a webhook payload cannot be written", e);
        }
        return new Message(type, id(type, requestId, eventAt), requestId, sourceSystem, eventAt, body);
    }

    /** {@code msg_} and 32 hex digits of SHA-256 over the type, the request and the event's time. */
    static String id(String type, String requestId, Instant eventAt) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest((type + "\n" + requestId + "\n" + eventAt.toEpochMilli()).getBytes(StandardCharsets.UTF_8));
            return "msg_" + HexFormat.of().formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
