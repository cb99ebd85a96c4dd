package io.travelart.core.engine;

import io.travelart.core.Seeds;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The offset bookkeeping against a model of Kafka: partitions whose records have gaps (transaction markers),
 * a consumer position per partition, an open transaction whose outputs and offsets commit or abort together,
 * and owners that crash or lose partitions to a new owner that starts from the committed offsets and their
 * metadata. Over random finish orders, commits, aborts and changes of owner, and then a run to the end:
 * every record is answered exactly once in the committed outputs, and no commit's metadata exceeds the limit.
 * Seeded runs ({@link Seeds}): the same cases in every build, a failure names its seed.
 */
class OffsetBookPropertiesTest {

    private static final List<TopicPartition> PARTITIONS = List.of(
            new TopicPartition("in", 0), new TopicPartition("in", 1), new TopicPartition("in", 2));

    /** One step: read records, finish one, send what is ready, commit, abort, or hand a partition to a new owner. */
    enum Step { POLL, FINISH, TAKE, COMMIT, ABORT, NEW_OWNER }

    /** What the broker holds: the log, the committed offsets with their metadata, and the committed outputs. */
    private static final class Broker {
        final Map<TopicPartition, List<Long>> log = new HashMap<>();
        final Map<TopicPartition, OffsetAndMetadata> committed = new HashMap<>();
        final Map<TopicPartition, List<Long>> outputs = new HashMap<>();

        Broker(Random random) {
            for (TopicPartition tp : PARTITIONS) {
                List<Long> offsets = new ArrayList<>();
                long offset = random.nextInt(3);
                int count = 20 + random.nextInt(60);
                for (int i = 0; i < count; i++) {
                    offsets.add(offset);
                    offset += 1 + (random.nextInt(4) == 0 ? 1 + random.nextInt(2) : 0); // markers between some records
                }
                log.put(tp, offsets);
            }
        }
    }

    /** An owner of the partitions: its book, its consumer position, the work it took, and its open transaction. */
    private static final class Owner {
        final OffsetBook<String> book;
        final Map<TopicPartition, Long> position = new HashMap<>();
        final List<OffsetBook.Ticket<String>> taken = new ArrayList<>();
        final List<String> transaction = new ArrayList<>();

        Owner(Broker broker, int maxMetadata) {
            book = new OffsetBook<>(maxMetadata);
            for (TopicPartition tp : PARTITIONS) {
                OffsetAndMetadata last = broker.committed.get(tp);
                book.assign(tp, last);
                position.put(tp, last == null ? 0 : last.offset());
            }
        }

        void poll(Broker broker, TopicPartition tp, int max) {
            int read = 0;
            for (long offset : broker.log.get(tp)) {
                if (offset >= position.get(tp) && read++ < max) {
                    OffsetBook.Ticket<String> ticket = book.add(tp, offset);
                    if (!ticket.isAnswered()) {
                        taken.add(ticket);
                    }
                    position.put(tp, offset + 1);
                }
            }
        }

        void take() {
            List<String> ready = book.takeReady();
            assertThat(ready).as("nothing of a dropped assignment is handed out").doesNotContain("stale");
            transaction.addAll(ready);
        }

        void commit(Broker broker, int maxMetadata) {
            Map<TopicPartition, OffsetAndMetadata> offsets = book.commitOffsets();
            offsets.forEach((tp, o) -> assertThat(o.metadata().length()).as("metadata of %s", tp).isLessThanOrEqualTo(maxMetadata));
            broker.committed.putAll(offsets);
            for (String result : transaction) {
                String[] parts = result.split("@");
                broker.outputs.computeIfAbsent(new TopicPartition("in", Integer.parseInt(parts[0].substring(3))), p -> new ArrayList<>())
                        .add(Long.parseLong(parts[1]));
            }
            transaction.clear();
            book.committed();
        }

        void abort() {
            transaction.clear();
            position.putAll(book.rewind());
            taken.removeIf(OffsetBook.Ticket::isStale);
        }
    }

    @Test
    void everyRecordIsAnsweredExactlyOnceWhateverTheOrderCrashesAndOwners() {
        Seeds.check("exactly once over finish orders, aborts and owners", 300, random -> {
            List<Step> steps = run(random);
            int maxMetadata = 12 + random.nextInt(69);
            everyRecordIsAnsweredExactlyOnce(steps, random, maxMetadata);
        });
    }

    private static void everyRecordIsAnsweredExactlyOnce(List<Step> steps, Random random, int maxMetadata) {
        Broker broker = new Broker(random);
        Owner owner = new Owner(broker, maxMetadata);
        List<OffsetBook.Ticket<String>> stale = new ArrayList<>();

        for (Step step : steps) {
            TopicPartition tp = PARTITIONS.get(random.nextInt(PARTITIONS.size()));
            switch (step) {
                case POLL -> owner.poll(broker, tp, 1 + random.nextInt(6));
                case FINISH -> {
                    if (!owner.taken.isEmpty()) {
                        var ticket = owner.taken.remove(random.nextInt(owner.taken.size()));
                        assertThat(owner.book.finish(ticket, ticket.partition() + "@" + ticket.offset())).isTrue();
                    }
                    if (!stale.isEmpty()) {
                        var ticket = stale.remove(random.nextInt(stale.size()));
                        assertThat(owner.book.finish(ticket, "stale")).as("a late result of a dropped assignment").isFalse();
                    }
                }
                case TAKE -> owner.take();
                case COMMIT -> owner.commit(broker, maxMetadata);
                case ABORT -> {
                    List<OffsetBook.Ticket<String>> before = new ArrayList<>(owner.taken);
                    owner.abort();
                    before.stream().filter(OffsetBook.Ticket::isStale).forEach(stale::add);
                }
                case NEW_OWNER -> {
                    // The owner crashes (its open transaction aborts) or loses its partitions; a new one starts from what was committed.
                    owner.taken.forEach(stale::add);
                    owner.book.revoke(PARTITIONS);
                    owner = new Owner(broker, maxMetadata);
                }
            }
        }

        // Then the last owner runs to the end: everything read, finished, sent and committed.
        for (int round = 0; ; round++) {
            if (round > 10_000) {
                fail("no progress: %s", broker.committed);
            }
            for (TopicPartition tp : PARTITIONS) {
                owner.poll(broker, tp, Integer.MAX_VALUE);
            }
            for (var ticket : owner.taken) {
                owner.book.finish(ticket, ticket.partition() + "@" + ticket.offset());
            }
            owner.taken.clear();
            owner.take();
            owner.commit(broker, maxMetadata);
            if (owner.book.unanswered() == 0) {
                break;
            }
        }
        for (TopicPartition tp : PARTITIONS) {
            List<Long> log = broker.log.get(tp);
            assertThat(broker.outputs.getOrDefault(tp, List.of())).as("outputs of %s", tp)
                    .containsExactlyInAnyOrderElementsOf(log);
            assertThat(broker.committed.get(tp).offset()).as("committed offset of %s", tp).isEqualTo(log.get(log.size() - 1) + 1);
            assertThat(broker.committed.get(tp).metadata()).isEmpty();
        }
    }

    /** 10 to 300 steps, finishing most often and changing owner least. */
    private static List<Step> run(Random random) {
        int[] weights = {4, 8, 3, 2, 1, 1}; // POLL, FINISH, TAKE, COMMIT, ABORT, NEW_OWNER
        int total = java.util.Arrays.stream(weights).sum();
        List<Step> steps = new ArrayList<>();
        int length = 10 + random.nextInt(291);
        for (int i = 0; i < length; i++) {
            int pick = random.nextInt(total);
            int s = 0;
            while (pick >= weights[s]) {
                pick -= weights[s++];
            }
            steps.add(Step.values()[s]);
        }
        return steps;
    }

    @Test
    void theCommittedOffsetStaysAtTheFirstUnansweredRecordAndTheMetadataCarriesTheRest() {
        Seeds.check("the committed offset and its metadata", 200, random -> {
            List<Integer> order = new ArrayList<>(java.util.stream.IntStream.range(0, 1 + random.nextInt(40)).boxed().toList());
            java.util.Collections.shuffle(order, random);
            committedOffsetAndMetadata(order);
        });
    }

    private static void committedOffsetAndMetadata(List<Integer> order) {
        OffsetBook<Integer> book = new OffsetBook<>(4096);
        TopicPartition tp = PARTITIONS.get(0);
        book.assign(tp, new OffsetAndMetadata(100));
        List<OffsetBook.Ticket<Integer>> tickets = new ArrayList<>();
        for (int i = 0; i < order.size(); i++) {
            tickets.add(book.add(tp, 100 + 2L * i)); // a marker after every record
        }
        int half = (order.size() + 1) / 2;
        for (int i = 0; i < half; i++) {
            book.finish(tickets.get(order.get(i)), order.get(i));
        }
        assertThat(book.takeReady()).as("every finished result at once, in any order").hasSize(half);
        OffsetAndMetadata commit = book.commitOffsets().get(tp);
        int firstUnfinished = 0;
        while (firstUnfinished < order.size() && order.subList(0, half).contains(firstUnfinished)) {
            firstUnfinished++;
        }
        long expectedBase = firstUnfinished == order.size() ? 100 + 2L * order.size() - 1 : 100 + 2L * firstUnfinished;
        assertThat(commit.offset()).isEqualTo(expectedBase);
        AnsweredOffsets answered = AnsweredOffsets.decode(commit.offset(), commit.metadata()).orElse(AnsweredOffsets.NONE);
        for (int i = 0; i < order.size(); i++) {
            long offset = 100 + 2L * i;
            boolean finished = order.subList(0, half).contains(i);
            if (offset >= commit.offset()) {
                assertThat(answered.contains(offset)).as("offset %d answered", offset).isEqualTo(finished);
            }
        }
    }
}
