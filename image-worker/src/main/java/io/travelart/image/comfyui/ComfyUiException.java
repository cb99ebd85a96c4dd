package io.travelart.image.comfyui;

import com.fasterxml.jackson.databind.JsonNode;
import io.travelart.core.failure.Classified;
import io.travelart.core.failure.ErrorCodes;
import io.travelart.core.failure.Failure;

import java.io.IOException;
import java.net.http.HttpTimeoutException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What went wrong with a ComfyUI job, already in our error codes, so that the retry policy, the stage's
 * pause and {@code request-failed} treat it as they treat an OpenAI failure:
 * <ul>
 *   <li>the workflow names a model file the server does not have (a loader's {@code value_not_in_list}):
 *       {@code MODEL_UNAVAILABLE}, the worker's failure, so the stage pauses until the model is installed;</li>
 *   <li>a size or seed outside what a node takes: {@code INVALID_INPUT}, permanent;</li>
 *   <li>any other refusal of the workflow (node errors, an unknown node type): {@code UPSTREAM_4XX}, permanent,
 *       with the node's own words;</li>
 *   <li>a node that failed while running: {@code UPSTREAM_5XX}, retriable only when it ran out of memory;</li>
 *   <li>the job interrupted, or gone from the queue and the history (the server restarted: its queue lives in
 *       memory only): {@code JOB_LOST}, retriable;</li>
 *   <li>HTTP 5xx, a broken connection, a timeout: {@code UPSTREAM_5XX}, {@code NETWORK}, {@code TIMEOUT}, retriable.</li>
 * </ul>
 */
public final class ComfyUiException extends RuntimeException implements Classified {

    /** Loader inputs that name a model file: a value the server does not list means the model is not installed. */
    private static final Set<String> MODEL_INPUTS = Set.of("ckpt_name", "unet_name", "vae_name", "clip_name", "lora_name",
            "control_net_name", "upscale_model_name", "clip_name1", "clip_name2");
    private static final Set<String> REQUEST_INPUTS = Set.of("width", "height", "seed", "noise_seed");

    private final transient Failure failure;

    ComfyUiException(Failure failure) {
        super(failure.code() + ": " + failure.message());
        this.failure = failure;
    }

    ComfyUiException(Failure failure, Throwable cause) {
        super(failure.code() + ": " + failure.message(), cause);
        this.failure = failure;
    }

    @Override
    public Failure failure() {
        return failure;
    }

    /** {@code POST /prompt} answered 400: the workflow, as filled, was refused. */
    static ComfyUiException refused(JsonNode body) {
        List<String> problems = new ArrayList<>();
        boolean missingModel = false;
        boolean badRequestValue = false;
        for (Iterator<Map.Entry<String, JsonNode>> nodes = body.path("node_errors").fields(); nodes.hasNext(); ) {
            Map.Entry<String, JsonNode> node = nodes.next();
            for (JsonNode error : node.getValue().path("errors")) {
                String input = error.path("extra_info").path("input_name").asText("");
                String type = error.path("type").asText("");
                missingModel |= type.equals("value_not_in_list") && MODEL_INPUTS.contains(input);
                badRequestValue |= (type.equals("value_bigger_than_max") || type.equals("value_smaller_than_min"))
                        && REQUEST_INPUTS.contains(input);
                problems.add("node " + node.getKey() + " (" + node.getValue().path("class_type").asText("?") + "): "
                        + error.path("message").asText(type) + detail(error));
            }
        }
        JsonNode error = body.path("error");
        String summary = error.isObject() ? error.path("message").asText(error.path("type").asText("refused")) : error.asText("refused");
        String message = "ComfyUI refused the workflow: " + summary + (problems.isEmpty() ? detail(error) : "; " + String.join("; ", problems));
        if (missingModel) {
            return new ComfyUiException(Failure.retriable(ErrorCodes.MODEL_UNAVAILABLE, message));
        }
        return new ComfyUiException(Failure.permanent(badRequestValue ? ErrorCodes.INVALID_INPUT : ErrorCodes.UPSTREAM_4XX, message));
    }

    /** The job ran and a node failed ({@code execution_error} in its history). */
    static ComfyUiException executionFailed(String promptId, JsonNode data) {
        String type = data.path("exception_type").asText("");
        String message = "ComfyUI job " + promptId + " failed in node " + data.path("node_id").asText("?") + " ("
                + data.path("node_type").asText("?") + "): " + type + ": " + data.path("exception_message").asText("").strip();
        boolean outOfMemory = type.contains("OutOfMemory") || message.contains("out of memory");
        return new ComfyUiException(outOfMemory ? Failure.retriable(ErrorCodes.UPSTREAM_5XX, message)
                : Failure.permanent(ErrorCodes.UPSTREAM_5XX, message));
    }

    /** The job was interrupted ({@code POST /interrupt}, someone pressed Cancel) or vanished with a restart. */
    static ComfyUiException lost(String promptId, String why) {
        return new ComfyUiException(Failure.retriable(ErrorCodes.JOB_LOST, "ComfyUI job " + promptId + " " + why));
    }

    static ComfyUiException timedOut(String promptId, java.time.Duration after) {
        return new ComfyUiException(Failure.retriable(ErrorCodes.TIMEOUT,
                "ComfyUI job " + promptId + " did not finish within " + after + " (TRAVELART_COMFYUI_JOB_TIMEOUT)"));
    }

    static ComfyUiException status(String what, int status, String body) {
        String message = "ComfyUI " + what + " answered HTTP " + status + (body.isBlank() ? "" : ": " + abbreviate(body));
        if (status == 401 || status == 403) {
            // A proxy in front of the server refuses us: the worker's failure, the stage pauses (as for OpenAI).
            return new ComfyUiException(Failure.retriable(ErrorCodes.AUTH, message));
        }
        return new ComfyUiException(status >= 500 || status == 408 || status == 429
                ? Failure.retriable(status == 429 ? ErrorCodes.RATE_LIMITED : status == 408 ? ErrorCodes.TIMEOUT : ErrorCodes.UPSTREAM_5XX, message)
                : Failure.permanent(ErrorCodes.UPSTREAM_4XX, message));
    }

    static ComfyUiException io(String what, IOException e) {
        boolean timeout = e instanceof HttpTimeoutException;
        return new ComfyUiException(Failure.retriable(timeout ? ErrorCodes.TIMEOUT : ErrorCodes.NETWORK,
                "ComfyUI " + what + ": " + (timeout ? "timed out" : e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage()))), e);
    }

    static ComfyUiException invalid(String message) {
        return new ComfyUiException(Failure.retriable(ErrorCodes.INVALID_ANSWER, "ComfyUI's answer could not be read: " + message));
    }

    private static String detail(JsonNode error) {
        String details = error.path("details").asText("");
        return details.isBlank() ? "" : ": " + abbreviate(details);
    }

    private static String abbreviate(String text) {
        String line = text.strip().replaceAll("\\s+", " ");
        return line.length() > 300 ? line.substring(0, 300) + "…" : line;
    }
}
