package io.travelart.core.engine;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.apache.kafka.common.TopicPartition;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The offset bookkeeping under random completion orders, commits and revocations, checked against
 * what must hold for every partition: results come out in input order, exactly once, never past an
 * unfinished record, and nothing of a revoked assignment is ever handed out.
 */
class OffsetBookPropertiesTest {

    private static final List<TopicPartition> PARTITIONS = List.of(
            new TopicPartition("in", 0), new TopicPartition("in", 1), new TopicPartition("in", 2));

    /** One step of a random run: take records, finish one, publish what is ready, commit, lose a partition. */
    enum Step { POLL, FINISH, TAKE, COMMIT, REVOKE }

    @Property(tries = 300)
    void resultsComeOutInOrderOnceAndNeverPastAnUnfinishedRecord(@ForAll("runs") List<Step> steps, @ForAll long seed) {
        Random random = new Random(seed);
        OffsetBook<String> book = new OffsetBook<>();
        Map<TopicPartition, Long> nextOffset = new HashMap<>();
        Map<TopicPartition, Long> committed = new HashMap<>();
        List<OffsetBook.Ticket<String>> unfinished = new ArrayList<>();
        List<OffsetBook.Ticket<String>> stale = new ArrayList<>();
        Map<TopicPartition, List<Long>> handedOut = new HashMap<>();

        for (Step step : steps) {
            TopicPartition tp = PARTITIONS.get(random.nextInt(PARTITIONS.size()));
            switch (step) {
                case POLL -> {
                    // Offsets with gaps, as compaction and transaction markers leave them.
                    long from = Math.max(nextOffset.getOrDefault(tp, 0L), committed.getOrDefault(tp, 0L));
                    int count = 1 + random.nextInt(5);
                    long offset = from;
                    for (int i = 0; i < count; i++) {
                        unfinished.add(book.add(tp, offset));
                        offset += 1 + random.nextInt(2);
                    }
                    nextOffset.put(tp, offset);
                }
                case FINISH -> {
                    if (!unfinished.isEmpty()) {
                        var ticket = unfinished.remove(random.nextInt(unfinished.size()));
                        boolean live = book.isLive(ticket);
                        assertThat(book.finish(ticket, ticket.partition() + "@" + ticket.offset())).isEqualTo(live);
                    }
                    if (!stale.isEmpty()) {
                        var ticket = stale.remove(random.nextInt(stale.size()));
                        assertThat(book.finish(ticket, "stale")).as("a revoked record's late result").isFalse();
                    }
                }
                case TAKE -> {
                    OffsetBook.Ready<String> ready = book.takeReady();
                    assertThat(ready.results()).doesNotContain("stale");
                    Map<TopicPartition, List<Long>> byPartition = new HashMap<>();
                    for (String result : ready.results()) {
                        String[] parts = result.split("@");
                        TopicPartition p = new TopicPartition("in", Integer.parseInt(parts[0].substring(3)));
                        byPartition.computeIfAbsent(p, k -> new ArrayList<>()).add(Long.parseLong(parts[1]));
                    }
                    byPartition.forEach((p, offsets) -> {
                        List<Long> sorted = new ArrayList<>(offsets);
                        Collections.sort(sorted);
                        assertThat(offsets).as("input order in %s", p).isEqualTo(sorted);
                        assertThat(ready.commitOffsets().get(p)).isEqualTo(offsets.get(offsets.size() - 1) + 1);
                        // Never past an unfinished record of the same assignment.
                        for (var t : unfinished) {
                            if (t.partition().equals(p) && book.isLive(t)) {
                                assertThat(t.offset()).as("unfinished record in %s", p)
                                        .isGreaterThanOrEqualTo(ready.commitOffsets().get(p));
                            }
                        }
                        List<Long> earlier = handedOut.computeIfAbsent(p, k -> new ArrayList<>());
                        if (!earlier.isEmpty()) {
                            assertThat(offsets.get(0)).as("no result handed out twice in %s", p)
                                    .isGreaterThan(earlier.get(earlier.size() - 1));
                        }
                        earlier.addAll(offsets);
                    });
                }
                case COMMIT -> {
                    Map<TopicPartition, Long> offsets = book.handedOutOffsets();
                    handedOut.forEach((p, list) -> {
                        if (!list.isEmpty()) {
                            assertThat(offsets).as("commit offset of %s", p).containsEntry(p, list.get(list.size() - 1) + 1);
                        }
                    });
                    int before = book.size();
                    int sent = handedOut.values().stream().mapToInt(List::size).sum();
                    book.committed();
                    assertThat(book.size()).isEqualTo(before - sent);
                    assertThat(book.handedOutOffsets()).isEmpty();
                    committed.putAll(offsets);
                    handedOut.values().forEach(List::clear);
                }
                case REVOKE -> {
                    book.revoke(List.of(tp));
                    for (var it = unfinished.iterator(); it.hasNext(); ) {
                        var t = it.next();
                        if (t.partition().equals(tp)) {
                            assertThat(t.isStale()).isTrue();
                            stale.add(t);
                            it.remove();
                        }
                    }
                    // The next owner (here: this book again, as after re-assignment) reads from the committed offset.
                    nextOffset.put(tp, committed.getOrDefault(tp, 0L));
                    handedOut.remove(tp);
                }
            }
        }
        int live = (int) unfinished.stream().filter(book::isLive).count();
        assertThat(book.size()).isGreaterThanOrEqualTo(live);
    }

    @Provide
    Arbitrary<List<Step>> runs() {
        Arbitrary<Step> step = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(4, Arbitraries.just(Step.POLL)),
                net.jqwik.api.Tuple.of(8, Arbitraries.just(Step.FINISH)),
                net.jqwik.api.Tuple.of(3, Arbitraries.just(Step.TAKE)),
                net.jqwik.api.Tuple.of(2, Arbitraries.just(Step.COMMIT)),
                net.jqwik.api.Tuple.of(1, Arbitraries.just(Step.REVOKE)));
        return step.list().ofMinSize(10).ofMaxSize(200);
    }

    @Property(tries = 200)
    void rewindPointsAtTheOldestUncommittedRecordOfEachPartition(@ForAll("finishOrders") List<Integer> order) {
        OffsetBook<Integer> book = new OffsetBook<>();
        TopicPartition tp = PARTITIONS.get(0);
        List<OffsetBook.Ticket<Integer>> tickets = new ArrayList<>();
        for (int i = 0; i < order.size(); i++) {
            tickets.add(book.add(tp, 100 + i));
        }
        int half = order.size() / 2;
        for (int i = 0; i < half; i++) {
            book.finish(tickets.get(order.get(i)), order.get(i));
        }
        var first = book.takeReady();
        book.committed();
        long committedUpTo = first.commitOffsets().getOrDefault(tp, 100L);
        // Finish the rest and hand it out, as into a transaction that then aborts.
        for (int i = half; i < order.size(); i++) {
            book.finish(tickets.get(order.get(i)), order.get(i));
        }
        book.takeReady();
        Map<TopicPartition, Long> restart = book.rewind();
        if (committedUpTo < 100 + order.size()) {
            assertThat(restart).containsEntry(tp, committedUpTo);
        } else {
            assertThat(restart).doesNotContainKey(tp);
        }
        assertThat(book.size()).isZero();
        assertThat(tickets).allMatch(OffsetBook.Ticket::isStale);
    }

    @Provide
    Arbitrary<List<Integer>> finishOrders() {
        return Arbitraries.integers().between(1, 40).flatMap(n -> Arbitraries.shuffle(
                java.util.stream.IntStream.range(0, n).boxed().toList()));
    }

}
