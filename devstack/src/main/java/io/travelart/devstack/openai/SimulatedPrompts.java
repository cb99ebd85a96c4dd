package io.travelart.devstack.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@code /v1/chat/completions} answers: a plausible one-paragraph image prompt for the keyword between the
 * {@code <keyword>} tags (place, time of day, mood, art style), in OpenAI's answer shape with its token usage.
 */
final class SimulatedPrompts {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern TAG = Pattern.compile("<(keyword|style)>(.*?)</\\1>", Pattern.DOTALL);

    private final Account account;
    private final Supplier<SimulatorSettings> settings;

    SimulatedPrompts(Account account, Supplier<SimulatorSettings> settings) {
        this.account = account;
        this.settings = settings;
    }

    /**
     * What {@code /v1/chat/completions} answers to a body, for the endpoint itself ({@code live}: with its
     * latency) or a batch line (the batch has a duration of its own).
     */
    Answer chatAnswer(JsonNode body, boolean live) {
        String model = body.path("model").asText("");
        JsonNode messages = body.path("messages");
        if (model.isEmpty() || !messages.isArray() || messages.isEmpty()) {
            return Answer.error(400, "invalid_request_error", "missing_required_parameter",
                    "'model' and a non-empty 'messages' array are required.");
        }
        Optional<Answer> refused = account.notServed(model).or(account::quotaRefusal);
        if (refused.isPresent()) {
            return refused.get();
        }
        String userText = lastUserText(messages);
        SimulatorSettings s = settings.get();
        if (userText.contains(s.refusalMarker())) {
            return Answer.error(400, "invalid_request_error", "content_policy_violation",
                    "Your request was rejected as a result of our safety system.");
        }
        if (live) {
            Latency.pause(s.chatLatency(), s.jitter());
        }
        // The prompt-worker escapes < and > in the data it puts between tags; a model reads them as what they stand for.
        String keyword = unescape(tag(userText, "keyword").orElse(userText).trim());
        String style = tag(userText, "style").map(SimulatedPrompts::unescape).orElse(null);
        String prompt = writePrompt(keyword, style);
        long promptTokens = tokens(messages.toString());
        long completionTokens = tokens(prompt);

        ObjectNode answer = JSON.createObjectNode();
        answer.put("id", "chatcmpl-" + UUID.randomUUID().toString().replace("-", ""));
        answer.put("object", "chat.completion");
        answer.put("created", Instant.now().getEpochSecond());
        answer.put("model", model);
        ObjectNode choice = answer.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode message = choice.putObject("message");
        message.put("role", "assistant");
        message.put("content", prompt);
        message.putNull("refusal");
        message.putArray("annotations");
        choice.putNull("logprobs");
        choice.put("finish_reason", "stop");
        ObjectNode usage = answer.putObject("usage");
        usage.put("prompt_tokens", promptTokens);
        usage.put("completion_tokens", completionTokens);
        usage.put("total_tokens", promptTokens + completionTokens);
        usage.putObject("prompt_tokens_details").put("cached_tokens", 0).put("audio_tokens", 0);
        usage.putObject("completion_tokens_details").put("reasoning_tokens", 0).put("audio_tokens", 0)
                .put("accepted_prediction_tokens", 0).put("rejected_prediction_tokens", 0);
        answer.put("service_tier", "default");
        answer.put("system_fingerprint", "fp_travelart_simulator");
        return new Answer(200, answer);
    }

    private static String lastUserText(JsonNode messages) {
        String text = "";
        for (JsonNode m : messages) {
            if ("user".equals(m.path("role").asText())) {
                JsonNode content = m.path("content");
                if (content.isTextual()) {
                    text = content.asText();
                } else if (content.isArray()) {
                    StringBuilder sb = new StringBuilder();
                    content.forEach(part -> sb.append(part.path("text").asText("")));
                    text = sb.toString();
                }
            }
        }
        return text;
    }

    private static Optional<String> tag(String text, String name) {
        Matcher m = TAG.matcher(text);
        while (m.find()) {
            if (m.group(1).equals(name)) {
                return Optional.of(m.group(2));
            }
        }
        return Optional.empty();
    }

    private static String unescape(String data) {
        return data.replace("&lt;", "<").replace("&gt;", ">");
    }

    /**
     * A plausible one-paragraph prompt: place, time of day, mood and art style. The time of day follows
     * hints in the keyword (night, 밤, sunrise, autumn...), else the keyword's hash, as do mood and style.
     */
    static String writePrompt(String keyword, String style) {
        String[] moods = {"a quiet, romantic mood", "a nostalgic, dreamy mood", "a lively, festive mood",
                "a serene, contemplative mood", "a mysterious, cinematic mood"};
        String[] styles = {"a painterly digital matte painting", "a watercolor illustration with loose washes",
                "a Studio Ghibli-inspired animated background", "an impressionist oil painting", "a moody cinematic concept art piece"};
        int h = Math.abs(keyword.hashCode());
        String chosenStyle = style == null || style.isBlank() ? styles[h % styles.length] : style.trim();
        return "Concept art of " + keyword + ", seen from a wide elevated viewpoint over its most recognisable streets and landmarks "
                + timeOfDay(keyword.toLowerCase(Locale.ROOT), h) + ", with " + moods[(h / 7) % moods.length]
                + ": warm lights glowing in windows, people strolling, reflections on wet stone, and a sense of travel and wonder, "
                + "rendered as " + chosenStyle + " with rich detail, balanced composition and cinematic lighting.";
    }

    private static String timeOfDay(String keyword, int hash) {
        boolean winter = keyword.contains("winter") || keyword.contains("겨울") || keyword.contains("snow") || keyword.contains("눈");
        if (keyword.contains("night") || keyword.contains("밤")) {
            return winter ? "on a snowy winter night" : "at night under a full moon";
        }
        if (keyword.contains("sunrise") || keyword.contains("morning") || keyword.contains("아침") || keyword.contains("새벽")) {
            return "in the soft gold of early morning";
        }
        if (keyword.contains("sunset") || keyword.contains("evening") || keyword.contains("저녁") || keyword.contains("노을")) {
            return "at blue hour just after sunset";
        }
        if (keyword.contains("rain") || keyword.contains("비")) {
            return "on a rainy afternoon under soft grey light";
        }
        String[] times = {"at blue hour just after sunset", "in the soft gold of early morning",
                "under a dramatic stormy afternoon sky", "in hazy late-afternoon light", "on a bright spring noon"};
        return (winter ? "on a crisp winter day, " : "") + times[hash % times.length];
    }

    static long tokens(String text) {
        return Math.max(1, Math.round(text.split("\\s+").length * 1.3));
    }
}
