package io.travelart.cli.records;

import io.travelart.core.engine.EventHeaders;
import io.travelart.events.OriginalHeader;
import io.travelart.events.RequestFailed;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.travelart.cli.records.ReplayPlan.Verdict.ALREADY_READY;
import static io.travelart.cli.records.ReplayPlan.Verdict.AT_MAXIMUM;
import static io.travelart.cli.records.ReplayPlan.Verdict.OVER_LIMIT;
import static io.travelart.cli.records.ReplayPlan.Verdict.PENDING;
import static io.travelart.cli.records.ReplayPlan.Verdict.PERMANENT;
import static io.travelart.cli.records.ReplayPlan.Verdict.CANCELLED;
import static io.travelart.cli.records.ReplayPlan.Verdict.REPLAY;
import static org.assertj.core.api.Assertions.assertThat;

class ReplayPlanTest {

    private static final FailedRequests.Filter ALL = FailedRequests.Filter.NONE;
    private static final Set<String> INPUTS = Set.of("keyword-requested", "prompt-created");

    private static RequestFailed failure(String id, String stage, String code, boolean retriable, int replays, long offset) {
        List<OriginalHeader> headers = replays == 0 ? List.of()
                : List.of(new OriginalHeader(EventHeaders.REPLAY_COUNT, ByteBuffer.wrap(EventHeaders.replayCountValue(replays))));
        return RequestFailed.newBuilder().setRequestId(id).setStage(stage).setErrorCode(code).setMessage(code)
                .setRetriable(retriable).setAttempts(1).setFirstFailureAt(Instant.EPOCH).setLastFailureAt(Instant.EPOCH.plusSeconds(offset))
                .setOriginTopic(stage.equals("IMAGE") ? "prompt-created" : "keyword-requested").setOriginPartition(0)
                .setOriginOffset(offset).setOriginalHeaders(headers).build();
    }

    private static List<ReplayPlan.Verdict> verdicts(List<ReplayPlan.Entry> plan) {
        return plan.stream().map(ReplayPlan.Entry::verdict).toList();
    }

    @Test
    void onlyTheLatestFailureOfARequestCountsAndTheFilterAppliesToIt() {
        var prompt = failure("a", "PROMPT", "RATE_LIMITED", true, 0, 1);
        var image = failure("a", "IMAGE", "UPSTREAM_5XX", true, 1, 2);

        List<ReplayPlan.Entry> plan = ReplayPlan.of(List.of(prompt, image), ALL, Set.of(), Map.of(), false, 3, Integer.MAX_VALUE, INPUTS);
        assertThat(plan).singleElement().satisfies(e -> {
            assertThat(e.failure()).isSameAs(image);
            assertThat(e.replays()).isEqualTo(1);
            assertThat(e.verdict()).isEqualTo(REPLAY);
        });

        // Selecting the older failure's code selects nothing: replaying it would redo the prompt that succeeded.
        var byOldCode = new FailedRequests.Filter(null, "RATE_LIMITED", null, null, null);
        assertThat(ReplayPlan.of(List.of(prompt, image), byOldCode, Set.of(), Map.of(), false, 3, Integer.MAX_VALUE, INPUTS)).isEmpty();
    }

    @Test
    void readyPermanentAndAtTheMaximumAreLeftAndTheLimitCountsOnlyReplays() {
        List<RequestFailed> failures = List.of(
                failure("ready", "IMAGE", "UPSTREAM_5XX", true, 0, 1),
                failure("refused", "PROMPT", "CONTENT_POLICY", false, 0, 2),
                failure("tired", "PROMPT", "TIMEOUT", true, 3, 3),
                failure("one", "PROMPT", "TIMEOUT", true, 2, 4),
                failure("two", "IMAGE", "RATE_LIMITED", true, 0, 5));

        assertThat(verdicts(ReplayPlan.of(failures, ALL, Set.of("ready"), Map.of(), false, 3, 1, INPUTS)))
                .containsExactly(ALREADY_READY, PERMANENT, AT_MAXIMUM, REPLAY, OVER_LIMIT);
        assertThat(verdicts(ReplayPlan.of(failures, ALL, Set.of("ready"), Map.of(), true, 4, Integer.MAX_VALUE, INPUTS)))
                .containsExactly(ALREADY_READY, REPLAY, REPLAY, REPLAY, REPLAY);
    }

    @Test
    void aCancelledRequestIsReplayedOnlyWhenCancelledOnesAreAskedForNotWithThePermanentOnes() {
        List<RequestFailed> failures = List.of(
                failure("stopped", "IMAGE", "CANCELLED", false, 0, 1),
                failure("refused", "PROMPT", "CONTENT_POLICY", false, 0, 2));

        assertThat(verdicts(ReplayPlan.of(failures, ALL, Set.of(), Map.of(), true, false, 3, Integer.MAX_VALUE, INPUTS)))
                .containsExactly(CANCELLED, REPLAY);
        assertThat(verdicts(ReplayPlan.of(failures, ALL, Set.of(), Map.of(), false, true, 3, Integer.MAX_VALUE, INPUTS)))
                .containsExactly(REPLAY, PERMANENT);
    }

    @Test
    void aRecordRepublishedSinceItsLatestFailureIsPendingAndDoesNotCountAgainstTheLimit() {
        var once = withRecord(failure("once", "PROMPT", "TIMEOUT", true, 1, 1), "once", "v1");
        var waiting = withRecord(failure("waiting", "PROMPT", "TIMEOUT", true, 1, 2), "waiting", "v2");
        var fresh = withRecord(failure("fresh", "PROMPT", "TIMEOUT", true, 0, 3), "fresh", "v3");
        // "once" was republished with count 1, the replay that led to its latest failure; "waiting" with count 2, after it.
        Map<ReplayPlan.Republished, Integer> republished = Map.of(
                ReplayPlan.Republished.of("once".getBytes(), "v1".getBytes()), 1,
                ReplayPlan.Republished.of("waiting".getBytes(), "v2".getBytes()), 2,
                ReplayPlan.Republished.of("fresh".getBytes(), "other value".getBytes()), 5);

        assertThat(verdicts(ReplayPlan.of(List.of(once, waiting, fresh), ALL, Set.of(), republished, false, 3, 2, INPUTS)))
                .containsExactly(REPLAY, PENDING, REPLAY);
    }

    private static RequestFailed withRecord(RequestFailed f, String key, String value) {
        return RequestFailed.newBuilder(f).setOriginalKey(ByteBuffer.wrap(key.getBytes())).setOriginalValue(ByteBuffer.wrap(value.getBytes())).build();
    }

    @Test
    void anUndecodableRecordIsNamedByItsPlaceAndEachOneIsKept() {
        var first = RequestFailed.newBuilder(failure("x", "INGEST", "INVALID_INPUT", false, 0, 7)).setRequestId(null).build();
        var second = RequestFailed.newBuilder(failure("x", "INGEST", "INVALID_INPUT", false, 0, 8)).setRequestId(null).build();

        assertThat(ReplayPlan.of(List.of(first, second), ALL, Set.of(), Map.of(), true, 3, Integer.MAX_VALUE, INPUTS)).hasSize(2)
                .allSatisfy(e -> assertThat(e.verdict()).isEqualTo(REPLAY));
    }

    @Test
    void aFailureNamingATopicTheStagesDoNotReadOrHoldingOnlyPartOfItsRecordIsRefused() {
        var forged = RequestFailed.newBuilder(failure("forged", "PROMPT", "UPSTREAM_5XX", true, 0, 1)).setOriginTopic("image-ready").build();
        var cut = RequestFailed.newBuilder(failure("cut", "INGEST", "INGEST", true, 0, 2)).setOriginalTruncated(true).build();
        var fine = failure("fine", "PROMPT", "UPSTREAM_5XX", true, 0, 3);

        assertThat(verdicts(ReplayPlan.of(List.of(forged, cut, fine), ALL, Set.of(), Map.of(), true, 3, Integer.MAX_VALUE, INPUTS)))
                .containsExactly(ReplayPlan.Verdict.FOREIGN_TOPIC, ReplayPlan.Verdict.TRUNCATED, REPLAY);
    }

    @Test
    void aReplayCountThatIsNotANumberCountsAsNone() {
        assertThat(EventHeaders.replayCount("x".getBytes())).isZero();
        assertThat(EventHeaders.replayCount(null)).isZero();
        assertThat(EventHeaders.replayCount(EventHeaders.replayCountValue(12))).isEqualTo(12);
    }
}
