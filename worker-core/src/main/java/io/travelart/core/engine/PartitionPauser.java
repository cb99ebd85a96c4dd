package io.travelart.core.engine;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Pauses every assigned partition while the engine holds enough, and resumes them when it holds less.
 * Polling goes on either way, so the group keeps this member however slow the calls. Loop thread only.
 */
final class PartitionPauser {

    private final EngineStats stats;
    private final Set<TopicPartition> paused = new HashSet<>();

    PartitionPauser(EngineStats stats) {
        this.stats = stats;
    }

    void adjust(Consumer<?, ?> consumer, boolean full) {
        Set<TopicPartition> assigned = consumer.assignment();
        if (full) {
            List<TopicPartition> toPause = new ArrayList<>();
            for (TopicPartition tp : assigned) {
                if (paused.add(tp)) {
                    toPause.add(tp);
                }
            }
            if (!toPause.isEmpty()) {
                consumer.pause(toPause);
                stats.pauses.increment();
            }
        } else if (!paused.isEmpty()) {
            consumer.resume(paused.stream().filter(assigned::contains).toList());
            paused.clear();
        }
    }

    void forget(Collection<TopicPartition> partitions) {
        paused.removeAll(partitions);
    }
}
