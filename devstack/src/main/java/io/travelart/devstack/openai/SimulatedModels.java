package io.travelart.devstack.openai;

import java.time.Clock;
import java.time.LocalDate;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The models the simulator serves, with OpenAI's published shutdown dates built in (as listed in the
 * project's ARCHITECTURE.md, checked November 2026) and overridable while it runs. A model is served
 * before its shutdown date and answered 404 {@code model_not_found} from that day on, as OpenAI does;
 * a dated snapshot ({@code gpt-5.4-mini-2026-03-17}) is its model.
 */
public final class SimulatedModels {

    /** Models with no shutdown announced, and when each appeared (Unix seconds, for the Model object's {@code created}). */
    private static final Map<String, Long> CURRENT = Map.ofEntries(
            Map.entry("gpt-5.4-mini", 1_773_705_600L),
            Map.entry("gpt-5.4", 1_773_705_600L),
            Map.entry("gpt-image-2.6-flare", 1_793_750_400L),
            Map.entry("gpt-image-2.6-sunburst", 1_793_750_400L),
            Map.entry("gpt-image-2", 1_776_729_600L),
            Map.entry("dall-e-2", 1_698_796_800L),
            Map.entry("omni-moderation-latest", 1_727_136_000L));

    /** OpenAI's announced shutdown dates. */
    private static final Map<String, LocalDate> PUBLISHED = Map.ofEntries(
            Map.entry("dall-e-3", LocalDate.of(2026, 5, 12)),
            Map.entry("gpt-4", LocalDate.of(2026, 10, 23)),
            Map.entry("gpt-image-1", LocalDate.of(2026, 10, 23)),
            Map.entry("gpt-image-1-mini", LocalDate.of(2026, 12, 1)),
            Map.entry("gpt-image-1.5", LocalDate.of(2026, 12, 1)),
            Map.entry("chatgpt-image-latest", LocalDate.of(2026, 12, 1)),
            Map.entry("gpt-5", LocalDate.of(2026, 12, 11)),
            Map.entry("gpt-5-mini", LocalDate.of(2026, 12, 11)),
            Map.entry("gpt-5-nano", LocalDate.of(2026, 12, 11)));

    private static final Pattern SNAPSHOT = Pattern.compile("(.+)-\\d{4}-\\d{2}-\\d{2}");
    private static final long OLDER = 1_700_000_000L;

    /** One model as {@code GET /v1/models/{id}} describes it. */
    public record Model(String id, long created, Optional<LocalDate> shutdownDate) {
    }

    private final Clock clock;
    /** Shutdown dates in force: the published ones, changed by {@link #shutDownOn} (an empty value: none announced). */
    private final Map<String, Optional<LocalDate>> dates = new ConcurrentHashMap<>();

    public SimulatedModels(Clock clock) {
        this.clock = clock;
        CURRENT.keySet().forEach(id -> dates.put(id, Optional.empty()));
        PUBLISHED.forEach((id, date) -> dates.put(id, Optional.of(date)));
    }

    /**
     * Announces (or moves) a model's shutdown date; {@code null} withdraws it. A model not known yet is
     * added, so a test may serve any name. A date of today or earlier retires the model at once.
     */
    public void shutDownOn(String model, LocalDate date) {
        dates.put(model, Optional.ofNullable(date));
    }

    /** Parses {@code MODEL=YYYY-MM-DD} (or {@code MODEL=none}), as the {@code dev simulator --shutdown-date} flag takes it. */
    public void shutDownOn(String assignment) {
        String[] parts = assignment.split("=", 2);
        if (parts.length != 2 || parts[0].isBlank()) {
            throw new IllegalArgumentException("'" + assignment + "' is not MODEL=YYYY-MM-DD or MODEL=none");
        }
        String value = parts[1].trim();
        shutDownOn(parts[0].trim(), value.equals("none") ? null : LocalDate.parse(value));
    }

    /** The model a name refers to while it is served; empty when it is unknown or shut down. */
    public Optional<Model> served(String name) {
        return known(name).filter(m -> m.shutdownDate().map(d -> today().isBefore(d)).orElse(true));
    }

    /** Every model served today, as {@code GET /v1/models} lists them. */
    public java.util.List<Model> servedModels() {
        return dates.keySet().stream().sorted().map(this::served).flatMap(Optional::stream).toList();
    }

    private Optional<Model> known(String name) {
        if (name == null) {
            return Optional.empty();
        }
        Optional<LocalDate> date = dates.get(name);
        if (date != null) {
            return Optional.of(new Model(name, CURRENT.getOrDefault(name, OLDER), date));
        }
        var snapshot = SNAPSHOT.matcher(name);
        if (snapshot.matches() && dates.containsKey(snapshot.group(1))) {
            return Optional.of(new Model(name, CURRENT.getOrDefault(snapshot.group(1), OLDER), dates.get(snapshot.group(1))));
        }
        return Optional.empty();
    }

    private LocalDate today() {
        return LocalDate.now(clock);
    }
}
