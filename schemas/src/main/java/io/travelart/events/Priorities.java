package io.travelart.events;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The values of {@link KeywordRequested#getPriority()}: {@code interactive} (also what null means) and
 * {@code batch}, a request that may wait up to 24 hours and goes through the provider's Batch API at half
 * the price. A string in the schema, like every open set of values in our events.
 */
public final class Priorities {

    public static final String INTERACTIVE = "interactive";
    public static final String BATCH = "batch";
    public static final List<String> ALL = List.of(INTERACTIVE, BATCH);

    private Priorities() {
    }

    /** The request's priority, {@code interactive} when it gives none; as given (trimmed, lower case) otherwise. */
    public static String of(KeywordRequested request) {
        String priority = request.getPriority();
        return priority == null || priority.isBlank() ? INTERACTIVE : priority.strip().toLowerCase(Locale.ROOT);
    }

    /** What is wrong with a request's priority, if anything. */
    public static Optional<String> problem(KeywordRequested request) {
        String priority = of(request);
        return ALL.contains(priority) ? Optional.empty()
                : Optional.of("priority '" + request.getPriority() + "' is not one of " + String.join(", ", ALL));
    }
}
