package io.travelart.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.travelart.cli.records.FailedRequests;
import io.travelart.core.config.Settings;
import io.travelart.events.OriginalHeader;
import io.travelart.events.RequestFailed;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

@Command(name = "failed", mixinStandardHelpOptions = true, subcommands = FailedCommand.Show.class,
        description = {"Lists the failed requests (committed request-failed events) grouped by stage and error code, with "
                + "how many and when the first and last failed; --json prints one object per failed request instead."})
final class FailedCommand implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The filters shared by the list and replay. */
    static final class Filters {
        @Option(names = "--stage", description = "INGEST, PROMPT or IMAGE.")
        String stage;

        @Option(names = "--code", description = "An error code, e.g. RATE_LIMITED.")
        String code;

        @Option(names = "--since", description = "Last failed at or after this: an instant (2026-11-24T10:00:00Z) or a time ago (30m, 2h).")
        String since;

        @Option(names = "--until", description = "Last failed at or before this: an instant or a time ago.")
        String until;

        @Option(names = "--request-id", description = "One request.")
        String requestId;

        FailedRequests.Filter filter(CommandSpec spec) {
            return new FailedRequests.Filter(stage, code, instant(spec, "--since", since), instant(spec, "--until", until), requestId);
        }

        static Instant instant(CommandSpec spec, String option, String value) {
            if (value == null) {
                return null;
            }
            try {
                return Instant.parse(value);
            } catch (DateTimeParseException notAnInstant) {
                try {
                    return Instant.now().minus(Settings.parseDuration(value));
                } catch (RuntimeException notADuration) {
                    throw new picocli.CommandLine.ParameterException(spec.commandLine(), option + " '" + value
                            + "' is neither an instant like 2026-11-24T10:00:00Z nor a time ago like 30m or 2h");
                }
            }
        }
    }

    @Mixin
    ConnectionOptions connection;

    @Mixin
    Filters filters;

    @Option(names = "--json", description = "One JSON object per failed request.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        List<RequestFailed> failed = read(connection, spec, filters.filter(spec));
        if (json) {
            for (RequestFailed f : failed) {
                out.println(JSON.writeValueAsString(summary(f)));
            }
            return 0;
        }
        Map<String, List<RequestFailed>> groups = failed.stream().collect(Collectors.groupingBy(
                f -> f.getStage() + " " + f.getErrorCode(), TreeMap::new, Collectors.toList()));
        out.printf("%-7s %-16s %6s  %-20s  %-20s%n", "STAGE", "CODE", "COUNT", "FIRST FAILED", "LAST FAILED");
        groups.values().forEach(group -> out.printf("%-7s %-16s %6d  %-20s  %-20s%n", Terminal.safe(group.get(0).getStage()),
                Terminal.safe(group.get(0).getErrorCode()), group.size(),
                when(group.stream().map(RequestFailed::getFirstFailureAt).min(Comparator.naturalOrder()).orElseThrow()),
                when(group.stream().map(RequestFailed::getLastFailureAt).max(Comparator.naturalOrder()).orElseThrow())));
        out.printf("%d failed request(s)%s%n", failed.size(), failed.isEmpty() ? "" : "; 'travelart failed show REQUEST_ID' for one");
        return 0;
    }

    /** The committed failures matching the filter; records that are not RequestFailed are named on stderr, not dropped silently. */
    static List<RequestFailed> read(ConnectionOptions connection, CommandSpec spec, FailedRequests.Filter filter) {
        return read(connection, spec, connection.topics().requestFailed(), filter);
    }

    /** The same of another topic of failure events (the webhook-worker's webhook-failed). */
    static List<RequestFailed> read(ConnectionOptions connection, CommandSpec spec, String topic, FailedRequests.Filter filter) {
        PrintWriter err = spec.commandLine().getErr();
        return FailedRequests.read(connection.kafka(), connection.serde(), topic, filter,
                problem -> err.println("travelart: skipped a record that is not a RequestFailed: " + problem));
    }

    private static final java.time.format.DateTimeFormatter WHEN =
            java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(java.time.ZoneId.systemDefault());

    private static String when(Instant instant) {
        return WHEN.format(instant);
    }

    static Map<String, Object> summary(RequestFailed f) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("requestId", f.getRequestId());
        m.put("keyword", f.getKeyword());
        m.put("stage", f.getStage());
        m.put("errorCode", f.getErrorCode());
        m.put("message", f.getMessage());
        m.put("retriable", f.getRetriable());
        m.put("attempts", f.getAttempts());
        m.put("firstFailureAt", f.getFirstFailureAt().toString());
        m.put("lastFailureAt", f.getLastFailureAt().toString());
        m.put("originTopic", f.getOriginTopic());
        m.put("originPartition", f.getOriginPartition());
        m.put("originOffset", f.getOriginOffset());
        return m;
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "Everything a failed request's events say, the original bytes and headers included (as sizes and text).")
    static final class Show implements Callable<Integer> {

        @Mixin
        ConnectionOptions connection;

        @Parameters(paramLabel = "REQUEST_ID")
        String requestId;

        @Option(names = "--json", description = "One JSON object per failure event.")
        boolean json;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            List<RequestFailed> failed = read(connection, spec, new FailedRequests.Filter(null, null, null, null, requestId));
            if (failed.isEmpty()) {
                throw new UserFacingException("no failed request with id " + requestId, null);
            }
            for (RequestFailed f : failed) {
                Map<String, Object> m = summary(f);
                m.put("originalKey", f.getOriginalKey() == null ? null : StandardCharsets.UTF_8.decode(f.getOriginalKey().duplicate()).toString());
                m.put("originalValueBytes", f.getOriginalValue() == null ? 0 : f.getOriginalValue().remaining());
                Map<String, String> headers = new LinkedHashMap<>();
                for (OriginalHeader h : f.getOriginalHeaders()) {
                    headers.put(h.getKey(), h.getValue() == null ? null : StandardCharsets.UTF_8.decode(h.getValue().duplicate()).toString());
                }
                m.put("originalHeaders", headers);
                if (json) {
                    out.println(JSON.writeValueAsString(m));
                } else {
                    m.forEach((k, v) -> out.printf("%-19s %s%n", k + ":", Terminal.safe(String.valueOf(v))));
                    out.println();
                }
            }
            return 0;
        }
    }
}
