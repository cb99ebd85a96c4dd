package io.travelart.core.openai;

import com.openai.client.OpenAIClient;
import com.openai.errors.NotFoundException;
import com.openai.errors.OpenAIServiceException;
import com.openai.errors.PermissionDeniedException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.models.Model;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.travelart.core.config.ConfigException;
import io.travelart.core.failure.ErrorCodes;
import io.travelart.core.engine.StageGate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * What the provider says of the models a worker uses: {@code GET /v1/models/{id}}, whose
 * {@code shutdown_date} OpenAI announces weeks ahead. At start a model that is shut down or not served
 * stops the worker with one line; a date within the warning window is logged (WARN) at start and at
 * each re-check, and every announced date is a gauge of days left. A provider without the endpoint
 * turns the check off, said once.
 */
public final class ModelLifecycle implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ModelLifecycle.class);

    public static final String SHUTDOWN_DAYS = "travelart.model.shutdown.days";
    private static final java.time.Duration CHECK_TIMEOUT = java.time.Duration.ofSeconds(10);

    /** A model's announced shutdown and OpenAI's recommended replacement. */
    record Retirement(LocalDate date, String replacement) {
    }

    /**
     * OpenAI's announced shutdowns and recommended replacements (its deprecations page, as of November 2026):
     * named in the messages about these models, and the date when a 404 says no more than "not found".
     */
    static final Map<String, Retirement> RETIREMENTS = Map.ofEntries(
            Map.entry("gpt-image-1-mini", new Retirement(LocalDate.of(2026, 12, 1), "gpt-image-2.6-flare")),
            Map.entry("gpt-image-1.5", new Retirement(LocalDate.of(2026, 12, 1), "gpt-image-2.6-sunburst")),
            Map.entry("chatgpt-image-latest", new Retirement(LocalDate.of(2026, 12, 1), "gpt-image-2.6-flare")),
            Map.entry("gpt-image-1", new Retirement(LocalDate.of(2026, 10, 23), "gpt-image-2.6-flare")),
            Map.entry("dall-e-3", new Retirement(LocalDate.of(2026, 5, 12), "gpt-image-2.6-flare")),
            Map.entry("gpt-4", new Retirement(LocalDate.of(2026, 10, 23), "gpt-5.4-mini")),
            Map.entry("gpt-5", new Retirement(LocalDate.of(2026, 12, 11), "gpt-5.4")),
            Map.entry("gpt-5-mini", new Retirement(LocalDate.of(2026, 12, 11), "gpt-5.4-mini")),
            Map.entry("gpt-5-nano", new Retirement(LocalDate.of(2026, 12, 11), "gpt-5.4-mini")));

    public enum State {
        /** Served, no shutdown date within the warning window. */
        SERVED,
        /** Served, with a shutdown date within the warning window. */
        SHUTTING_DOWN,
        /** Past its shutdown date, or not served (404 model_not_found). */
        GONE,
        /** The provider refused the key (401/403). */
        KEY_REFUSED,
        /** The provider has no models endpoint: nothing is known. */
        NO_ENDPOINT,
        /** The provider could not be asked (network, 5xx): try again later. */
        UNREACHABLE
    }

    /**
     * @param setting the setting that names the model, e.g. {@code TRAVELART_IMAGE_MODEL}
     * @param detail  what the provider said, for people
     */
    public record Status(String setting, String model, State state, Optional<LocalDate> shutdownDate, Optional<Long> daysLeft,
                         Optional<String> replacement, String detail) {

        /** Whether the worker cannot work with this model at all. */
        public boolean unusable() {
            return state == State.GONE || state == State.KEY_REFUSED;
        }

        /** One line for people, naming the setting, the model, the date and the replacement where known. */
        public String describe() {
            String replace = replacement.map(r -> "; replacement: " + r).orElse("");
            return switch (state) {
                case SERVED -> setting + "=" + model + " is served" + shutdownDate.map(d -> ", shutdown announced for " + d
                        + " (" + daysLeft.orElseThrow() + " days)" + replace).orElse(", no shutdown date announced");
                case SHUTTING_DOWN -> setting + "=" + model + " shuts down on " + shutdownDate.orElseThrow() + ", in "
                        + daysLeft.orElseThrow() + " days" + replace;
                case GONE -> setting + "=" + model + (shutdownDate.isPresent() ? " was shut down on " + shutdownDate.get()
                        : " is not served by the provider") + replace + " (" + detail + ")";
                case KEY_REFUSED -> "OPENAI_API_KEY is refused by the provider when asked for " + model + " (" + detail + ")";
                case NO_ENDPOINT -> "the provider has no models endpoint, so " + model + "'s lifecycle is not checked (" + detail + ")";
                case UNREACHABLE -> model + "'s lifecycle could not be checked: " + detail;
            };
        }
    }

    /** The check's settings: on or off ({@code TRAVELART_MODEL_CHECK}), the warning window, how often it runs again. */
    public record Config(boolean enabled, java.time.Duration warning, java.time.Duration interval) {
        public static Config from(io.travelart.core.config.Settings settings) {
            return new Config(settings.bool("TRAVELART_MODEL_CHECK", true),
                    settings.duration("TRAVELART_MODEL_SHUTDOWN_WARNING", java.time.Duration.ofDays(30)),
                    settings.duration("TRAVELART_MODEL_CHECK_INTERVAL", java.time.Duration.ofDays(1)));
        }
    }

    private final OpenAIClient client;
    /** Setting name → model, in the order they are reported. */
    private final Map<String, String> models;
    private final Config config;
    private final Clock clock;
    private final MeterRegistry registry;
    private final Map<String, Long> daysLeft = new ConcurrentHashMap<>();
    private volatile ScheduledExecutorService scheduler;
    private volatile boolean endpointMissingSaid;

    public ModelLifecycle(OpenAIClient client, Map<String, String> models, Config config, Clock clock, MeterRegistry registry) {
        this.client = client;
        this.models = models;
        this.config = config;
        this.clock = clock;
        this.registry = registry;
    }

    /** Asks the provider about each model, once. */
    public List<Status> check() {
        List<Status> statuses = new ArrayList<>();
        models.forEach((setting, model) -> statuses.add(check(setting, model)));
        return statuses;
    }

    private Status check(String setting, String model) {
        Optional<Retirement> retirement = Optional.ofNullable(RETIREMENTS.get(model));
        Optional<String> replacement = retirement.map(Retirement::replacement);
        try {
            // A short timeout of its own: a provider that does not answer must not hold a worker's start for minutes.
            Model found = client.withOptions(o -> o.timeout(CHECK_TIMEOUT)).models().retrieve(model);
            Optional<LocalDate> date = found.shutdownDate();
            LocalDate today = LocalDate.now(clock);
            Optional<Long> days = date.map(d -> ChronoUnit.DAYS.between(today, d));
            if (days.isPresent() && days.get() <= 0) {
                return new Status(setting, model, State.GONE, date, days, replacement, "its shutdown date has passed");
            }
            boolean soon = days.isPresent() && days.get() <= config.warning().toDays();
            return new Status(setting, model, soon ? State.SHUTTING_DOWN : State.SERVED, date, days, replacement, "served");
        } catch (NotFoundException e) {
            if (e.code().filter("model_not_found"::equals).isPresent()) {
                Optional<LocalDate> passed = retirement.map(Retirement::date).filter(d -> !d.isAfter(LocalDate.now(clock)));
                return new Status(setting, model, State.GONE, passed, Optional.empty(), replacement, httpDetail(e));
            }
            return new Status(setting, model, State.NO_ENDPOINT, Optional.empty(), Optional.empty(), replacement, httpDetail(e));
        } catch (UnauthorizedException | PermissionDeniedException e) {
            return new Status(setting, model, State.KEY_REFUSED, Optional.empty(), Optional.empty(), replacement, httpDetail(e));
        } catch (OpenAIServiceException e) {
            State state = e.statusCode() == 405 || e.statusCode() == 501 ? State.NO_ENDPOINT : State.UNREACHABLE;
            return new Status(setting, model, state, Optional.empty(), Optional.empty(), replacement, httpDetail(e));
        } catch (RuntimeException e) {
            return new Status(setting, model, State.UNREACHABLE, Optional.empty(), Optional.empty(), replacement, e.toString());
        }
    }

    private static String httpDetail(OpenAIServiceException e) {
        return "HTTP " + e.statusCode() + e.code().map(c -> " " + c).orElse("");
    }

    /**
     * The check at start: refuses to start (one line, naming the model, the date and the replacement)
     * when a model is gone or the key refused; warns of a date within the window; says once that the
     * check is off for a provider without the endpoint. Then checks again every {@code interval}.
     */
    public void requireUsable() {
        if (!config.enabled()) {
            log.info("model lifecycle check is off (TRAVELART_MODEL_CHECK=false)");
            return;
        }
        List<Status> statuses = check();
        for (Status status : statuses) {
            if (status.unusable()) {
                throw new ConfigException(status.describe());
            }
        }
        report(statuses);
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "model-lifecycle");
            t.setDaemon(true);
            return t;
        });
        long every = config.interval().toMillis();
        scheduler.scheduleWithFixedDelay(() -> report(check()), every, every, TimeUnit.MILLISECONDS);
    }

    private void report(List<Status> statuses) {
        for (Status status : statuses) {
            status.daysLeft().ifPresent(days -> recordDaysLeft(status.model(), days));
            switch (status.state()) {
                case SERVED -> log.info("{}", status.describe());
                case SHUTTING_DOWN -> log.warn("{}: change it before that day", status.describe());
                case GONE, KEY_REFUSED -> log.error("{}", status.describe());
                case NO_ENDPOINT -> {
                    if (!endpointMissingSaid) {
                        endpointMissingSaid = true;
                        log.info("{}", status.describe());
                    }
                }
                case UNREACHABLE -> log.warn("{}", status.describe());
            }
        }
    }

    /** Sets a model's days left, registering its gauge the first time. Runs on one thread at a time (start, then the scheduler). */
    private void recordDaysLeft(String model, long days) {
        if (daysLeft.put(model, days) == null) {
            Gauge.builder(SHUTDOWN_DAYS, daysLeft, m -> m.getOrDefault(model, 0L))
                    .description("Days until the provider shuts the model down (announced dates only)")
                    .tags("model", model)
                    .register(registry);
        }
    }

    /**
     * The free probe of a stage paused for its key or its model: cleared when the provider serves every
     * model to the key again. It cannot tell an exhausted quota, nor anything when there is no endpoint.
     */
    public StageGate.Probe probe() {
        return cause -> {
            if (!config.enabled() || ErrorCodes.QUOTA_EXHAUSTED.equals(cause.code())) {
                return StageGate.Verdict.CANNOT_TELL;
            }
            List<Status> statuses = check();
            if (statuses.stream().anyMatch(s -> s.state() == State.NO_ENDPOINT)) {
                return StageGate.Verdict.CANNOT_TELL;
            }
            boolean usable = statuses.stream().allMatch(s -> s.state() == State.SERVED || s.state() == State.SHUTTING_DOWN);
            return usable ? StageGate.Verdict.CLEARED : StageGate.Verdict.STILL_FAILING;
        };
    }

    @Override
    public void close() {
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
    }
}
