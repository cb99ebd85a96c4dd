package io.travelart.devstack.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** What {@code POST /v1/moderations} answers: free; text holding {@link SimulatorSettings#FLAG_MARKER} is flagged as violence. */
final class SimulatedModeration {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> CATEGORIES = List.of("harassment", "harassment/threatening", "hate",
            "hate/threatening", "illicit", "illicit/violent", "self-harm", "self-harm/instructions", "self-harm/intent",
            "sexual", "sexual/minors", "violence", "violence/graphic");

    private final Account account;

    SimulatedModeration(Account account) {
        this.account = account;
    }

    Answer answer(JsonNode body) {
        String model = body.path("model").asText("omni-moderation-latest");
        Optional<Answer> notServed = account.notServed(model);
        if (notServed.isPresent()) {
            return notServed.get();
        }
        JsonNode input = body.path("input");
        List<String> texts = new ArrayList<>();
        if (input.isTextual()) {
            texts.add(input.asText());
        } else if (input.isArray()) {
            input.forEach(item -> texts.add(item.isTextual() ? item.asText() : item.path("text").asText("")));
        } else {
            return Answer.error(400, "invalid_request_error", "missing_required_parameter", "'input' is required.");
        }
        ObjectNode answer = JSON.createObjectNode();
        answer.put("id", "modr-" + UUID.randomUUID().toString().replace("-", ""));
        answer.put("model", model.equals("omni-moderation-latest") ? "omni-moderation-2024-09-26" : model);
        ArrayNode results = answer.putArray("results");
        for (String text : texts) {
            boolean flagged = text.contains(SimulatorSettings.FLAG_MARKER);
            ObjectNode result = results.addObject();
            result.put("flagged", flagged);
            ObjectNode categories = result.putObject("categories");
            ObjectNode scores = result.putObject("category_scores");
            ObjectNode applied = result.putObject("category_applied_input_types");
            for (String category : CATEGORIES) {
                boolean hit = flagged && category.equals("violence");
                categories.put(category, hit);
                scores.put(category, hit ? 0.91 : 0.0001);
                applied.putArray(category).add("text");
            }
        }
        return new Answer(200, answer);
    }
}
