package io.travelart.prompt.openai;

import com.openai.client.OpenAIClient;
import com.openai.models.moderations.Moderation;
import com.openai.models.moderations.ModerationCreateParams;
import io.travelart.prompt.Moderator;
import io.travelart.core.openai.OpenAiClients;
import io.travelart.events.KeywordRequested;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/** Asks {@code POST /v1/moderations} (free) about the keyword and the style, as two inputs of one call. */
public final class OpenAiModerator implements Moderator {

    public static final String DEFAULT_MODEL = "omni-moderation-latest";

    private record Category(String name, Predicate<Moderation.Categories> flagged) {
    }

    /** The categories by their API names, in the order OpenAI lists them. */
    private static final List<Category> CATEGORIES = List.of(
            new Category("harassment", Moderation.Categories::harassment),
            new Category("harassment/threatening", Moderation.Categories::harassmentThreatening),
            new Category("hate", Moderation.Categories::hate),
            new Category("hate/threatening", Moderation.Categories::hateThreatening),
            new Category("illicit", c -> c.illicit().orElse(false)),
            new Category("illicit/violent", c -> c.illicitViolent().orElse(false)),
            new Category("self-harm", Moderation.Categories::selfHarm),
            new Category("self-harm/instructions", Moderation.Categories::selfHarmInstructions),
            new Category("self-harm/intent", Moderation.Categories::selfHarmIntent),
            new Category("sexual", Moderation.Categories::sexual),
            new Category("sexual/minors", Moderation.Categories::sexualMinors),
            new Category("violence", Moderation.Categories::violence),
            new Category("violence/graphic", Moderation.Categories::violenceGraphic));

    private final OpenAIClient client;
    private final String model;

    public OpenAiModerator(OpenAIClient client, String model) {
        this.client = client;
        this.model = model;
    }

    @Override
    public List<String> flagged(KeywordRequested request) {
        List<String> inputs = new ArrayList<>(List.of(request.getKeyword()));
        if (request.getStyle() != null && !request.getStyle().isBlank()) {
            inputs.add(request.getStyle());
        }
        var answer = client.moderations().create(ModerationCreateParams.builder()
                .model(model)
                .inputOfStrings(inputs)
                .putAdditionalHeader(OpenAiClients.REQUEST_ID_HEADER, request.getRequestId())
                .build());
        Set<String> flagged = new LinkedHashSet<>();
        for (Moderation result : answer.results()) {
            if (result.flagged()) {
                CATEGORIES.stream().filter(c -> c.flagged().test(result.categories())).forEach(c -> flagged.add(c.name()));
                if (flagged.isEmpty()) {
                    flagged.add("unspecified");
                }
            }
        }
        return List.copyOf(flagged);
    }
}
