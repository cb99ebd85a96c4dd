package io.travelart.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.travelart.cli.records.CommittedRecords;
import io.travelart.cli.records.FailedRequests;
import io.travelart.cli.records.ReplayPlan;
import io.travelart.core.call.RateLimiter;
import io.travelart.core.engine.EventHeaders;
import io.travelart.core.failure.ErrorCodes;
import io.travelart.core.time.Time;
import io.travelart.image.batch.BatchLaneConfig;
import io.travelart.events.OriginalHeader;
import io.travelart.events.RequestBounds;
import io.travelart.events.RequestFailed;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;

@Command(name = "replay", mixinStandardHelpOptions = true,
        description = {"Republishes the original record (bytes and headers) of failed requests to the topic it was read from, "
                + "so the stage that failed works on it again. Takes each request's latest failure; leaves requests that have "
                + "meanwhile reached image-ready, requests replayed since their latest failure and not answered yet, failures that "
                + "are not retriable (unless --include-permanent), cancelled requests (unless --include-cancelled), and requests replayed --max-replays times already. Stamps " + EventHeaders.REPLAY_COUNT + " on what it republishes."})
final class ReplayCommand implements Callable<Integer> {

    static final int DEFAULT_MAX_REPLAYS = 3;

    private static final ObjectMapper JSON = new ObjectMapper();

    @Mixin
    ConnectionOptions connection;

    @Mixin
    FailedCommand.Filters filters;

    @Option(names = "--limit", paramLabel = "N", description = "Replay at most N requests; the rest are left for another run.")
    Integer limit;

    @Option(names = "--rate", paramLabel = "PER_SECOND", defaultValue = "20",
            description = "Republish at most this many records per second, so a replay does not start a rate-limit storm. Default: ${DEFAULT-VALUE}.")
    int rate;

    @Option(names = "--dry-run", description = "Say what would be replayed; publish nothing.")
    boolean dryRun;

    @Option(names = "--include-permanent", description = "Replay failures that are not retriable too (after fixing their cause); not cancelled ones.")
    boolean includePermanent;

    @Option(names = "--include-cancelled", description = "Replay cancelled requests too: withdraws each one's cancel (a tombstone "
            + "on request-cancelled) before republishing it.")
    boolean includeCancelled;

    @Option(names = "--max-replays", paramLabel = "N",
            description = "Refuse requests replayed this often already. Default: $TRAVELART_MAX_REPLAYS, else " + DEFAULT_MAX_REPLAYS + ".")
    Integer maxReplays;

    @Option(names = "--json", description = "One JSON object per failed request looked at, with what was done.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (rate < 1 || rate > 10_000) {
            throw new ParameterException(spec.commandLine(), "--rate must be between 1 and 10000 records per second, not " + rate);
        }
        if (limit != null && limit < 0) {
            throw new ParameterException(spec.commandLine(), "--limit must be 0 or more, not " + limit);
        }
        if (maxReplays != null && maxReplays < 0) {
            throw new ParameterException(spec.commandLine(), "--max-replays must be 0 or more, not " + maxReplays);
        }
        int max = maxReplays != null ? maxReplays
                : connection.settings().intValue("TRAVELART_MAX_REPLAYS", DEFAULT_MAX_REPLAYS, 0, 1000);
        PrintWriter out = spec.commandLine().getOut();

        List<RequestFailed> failures = FailedCommand.read(connection, spec, FailedRequests.Filter.NONE);
        Set<String> ready = CommittedRecords.keyCounts(connection.kafka(), connection.topics().imageReady()).keySet();
        int most = limit == null ? Integer.MAX_VALUE : limit;
        FailedRequests.Filter filter = filters.filter(spec);
        Set<String> inputTopics = Set.of(connection.topics().keywordRequested(), connection.topics().promptCreated(),
                BatchLaneConfig.from(connection.settings()).pendingTopic());
        List<ReplayPlan.Entry> candidates = ReplayPlan.of(failures, filter, ready, Map.of(), includePermanent, includeCancelled, max,
                most, inputTopics);
        List<ReplayPlan.Entry> plan = ReplayPlan.of(failures, filter, ready, republished(candidates), includePermanent, includeCancelled,
                max, most, inputTopics);
        String cancels = connection.topics().requestCancelled();

        Map<ReplayPlan.Verdict, Integer> counts = new EnumMap<>(ReplayPlan.Verdict.class);
        RateLimiter pace = new RateLimiter("replay", rate * 60L, Time.SYSTEM);
        try (var producer = dryRun ? null : new KafkaProducer<>(connection.kafka().with(Map.of(
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true",
                ProducerConfig.MAX_BLOCK_MS_CONFIG, "15000")), new ByteArraySerializer(), new ByteArraySerializer())) {
            for (ReplayPlan.Entry entry : plan) {
                if (entry.verdict() == ReplayPlan.Verdict.REPLAY && producer != null) {
                    pace.acquire(1);
                    if (ErrorCodes.CANCELLED.equals(entry.failure().getErrorCode())) {
                        withdrawCancel(producer, cancels, entry.failure());
                    }
                    publish(producer, entry);
                }
                counts.merge(entry.verdict(), 1, Integer::sum);
                print(out, entry, max);
            }
        }
        int replayed = counts.getOrDefault(ReplayPlan.Verdict.REPLAY, 0);
        out.printf("%s %d of %d failed request(s): %d already ready, %d pending, %d permanent, %d cancelled, %d at the replay maximum (%d), %d over --limit%s%n",
                dryRun ? "would replay" : "replayed", replayed, plan.size(),
                counts.getOrDefault(ReplayPlan.Verdict.ALREADY_READY, 0), counts.getOrDefault(ReplayPlan.Verdict.PENDING, 0),
                counts.getOrDefault(ReplayPlan.Verdict.PERMANENT, 0), counts.getOrDefault(ReplayPlan.Verdict.CANCELLED, 0),
                counts.getOrDefault(ReplayPlan.Verdict.AT_MAXIMUM, 0), max, counts.getOrDefault(ReplayPlan.Verdict.OVER_LIMIT, 0),
                refusals(counts));
        return 0;
    }

    /** The refusals that only hostile or oversized records cause, named only when there are some. */
    private static String refusals(Map<ReplayPlan.Verdict, Integer> counts) {
        int truncated = counts.getOrDefault(ReplayPlan.Verdict.TRUNCATED, 0);
        int foreign = counts.getOrDefault(ReplayPlan.Verdict.FOREIGN_TOPIC, 0);
        return (truncated > 0 ? ", " + truncated + " truncated" : "") + (foreign > 0 ? ", " + foreign + " naming another topic" : "");
    }

    /**
     * The replay counts on records republished to the candidates' topics since the earliest candidate failed
     * (less five minutes for clocks that differ): a candidate whose record was republished after its latest
     * failure is still on its way.
     */
    private Map<ReplayPlan.Republished, Integer> republished(List<ReplayPlan.Entry> candidates) {
        List<RequestFailed> replayable = candidates.stream()
                .filter(e -> e.verdict() == ReplayPlan.Verdict.REPLAY || e.verdict() == ReplayPlan.Verdict.OVER_LIMIT)
                .map(ReplayPlan.Entry::failure).toList();
        Map<ReplayPlan.Republished, Integer> counts = new HashMap<>();
        if (replayable.isEmpty()) {
            return counts;
        }
        Instant from = replayable.stream().map(RequestFailed::getLastFailureAt).min(Comparator.naturalOrder()).orElseThrow()
                .minus(Duration.ofMinutes(5));
        for (String topic : replayable.stream().map(RequestFailed::getOriginTopic).collect(Collectors.toCollection(TreeSet::new))) {
            CommittedRecords.read(connection.kafka(), topic, from, record -> {
                Header count = record.headers().lastHeader(EventHeaders.REPLAY_COUNT);
                if (count != null) {
                    counts.merge(ReplayPlan.Republished.of(record.key(), record.value()), EventHeaders.replayCount(count.value()), Math::max);
                }
            });
        }
        return counts;
    }

    /**
     * Takes a cancelled request's cancel back before it is replayed (a tombstone under its id), so the workers draw it. A
     * worker that reads the replayed record before the tombstone (both arrive within its polls, usually milliseconds
     * apart) ends it CANCELLED once more, at no cost; a second replay then draws it.
     */
    private static void withdrawCancel(KafkaProducer<byte[], byte[]> producer, String topic, RequestFailed f) throws InterruptedException {
        try {
            producer.send(new ProducerRecord<>(topic, f.getRequestId().getBytes(java.nio.charset.StandardCharsets.UTF_8), null)).get();
        } catch (ExecutionException e) {
            throw new UserFacingException("withdrawing the cancel of " + name(f) + " on " + topic + " failed: "
                    + e.getCause().getMessage(), e.getCause());
        }
    }

    /** The original record as it was read, with the replay count raised; waits for the broker's acknowledgement. */
    private static void publish(KafkaProducer<byte[], byte[]> producer, ReplayPlan.Entry entry) throws InterruptedException {
        RequestFailed f = entry.failure();
        RecordHeaders headers = new RecordHeaders();
        for (OriginalHeader h : f.getOriginalHeaders()) {
            if (!EventHeaders.REPLAY_COUNT.equals(h.getKey())) {
                headers.add(h.getKey(), ReplayPlan.bytes(h.getValue()));
            }
        }
        headers.add(EventHeaders.REPLAY_COUNT, EventHeaders.replayCountValue(entry.replays() + 1));
        try {
            producer.send(new ProducerRecord<>(f.getOriginTopic(), null, ReplayPlan.bytes(f.getOriginalKey()),
                    ReplayPlan.bytes(f.getOriginalValue()), headers)).get();
        } catch (ExecutionException e) {
            throw new UserFacingException("replaying " + name(f) + " to " + f.getOriginTopic() + " failed: "
                    + e.getCause().getMessage(), e.getCause());
        }
    }

    private void print(PrintWriter out, ReplayPlan.Entry entry, int max) throws Exception {
        RequestFailed f = entry.failure();
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("requestId", f.getRequestId());
            m.put("stage", f.getStage());
            m.put("errorCode", f.getErrorCode());
            m.put("verdict", entry.verdict().name());
            m.put("replaysBefore", entry.replays());
            m.put("topic", f.getOriginTopic());
            m.put("dryRun", dryRun);
            out.println(JSON.writeValueAsString(m));
            return;
        }
        String what = switch (entry.verdict()) {
            case REPLAY -> (dryRun ? "would replay" : "replayed") + " to " + f.getOriginTopic()
                    + " (replay " + (entry.replays() + 1) + " of at most " + max + ")";
            case ALREADY_READY -> "skipped: already image-ready";
            case PENDING -> "skipped: replayed already and not answered yet";
            case PERMANENT -> "skipped: not retriable (--include-permanent to replay it)";
            case CANCELLED -> "skipped: cancelled (--include-cancelled to withdraw its cancel and replay it)";
            case AT_MAXIMUM -> "refused: replayed " + entry.replays() + " time(s) already, the maximum (--max-replays)";
            case OVER_LIMIT -> "left: over --limit";
            case TRUNCATED -> "refused: the record was too large to carry whole; it is at " + f.getOriginTopic() + "-"
                    + f.getOriginPartition() + "@" + f.getOriginOffset();
            case FOREIGN_TOPIC -> "refused: " + RequestBounds.shown(f.getOriginTopic()) + " is not a topic the stages read";
        };
        out.printf("%-36s %-6s %-16s %s%n", Terminal.safe(name(f)), Terminal.safe(f.getStage()), Terminal.safe(f.getErrorCode()), what);
        out.flush();
    }

    private static String name(RequestFailed f) {
        return f.getRequestId() != null ? f.getRequestId() : f.getOriginTopic() + "-" + f.getOriginPartition() + "@" + f.getOriginOffset();
    }
}
