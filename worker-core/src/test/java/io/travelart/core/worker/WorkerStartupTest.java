package io.travelart.core.worker;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.travelart.core.EchoStage;
import io.travelart.core.TestStack;
import io.travelart.core.call.RetryConfig;
import io.travelart.core.cancel.Cancellations;
import io.travelart.core.config.KafkaConfig;
import io.travelart.core.config.Topics;
import io.travelart.core.config.WorkerConfig;
import io.travelart.core.engine.StageGate;
import io.travelart.core.metrics.PriceTable;
import io.travelart.core.metrics.WorkerMetrics;
import io.travelart.events.PromptCreated;
import org.junit.jupiter.api.Test;

import io.travelart.core.time.Time;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WorkerStartupTest {

    @Test
    void refusesToStartWhenATopicIsMissingAndNamesIt() {
        List<String> topics = TestStack.createTopics(1, "in", "out", "cancelled");
        WorkerConfig config = new WorkerConfig(TestStack.kafka(), TestStack.registry(),
                new Topics(topics.get(0), topics.get(1), "image-ready-x", "request-failed-missing", topics.get(2)), "test", 4, 10, Duration.ofMillis(100), RetryConfig.none(), Duration.ofSeconds(5),
                "127.0.0.1", 0, PriceTable.parse(null), Duration.ofSeconds(5), Duration.ofMinutes(5),
                WorkerConfig.DEFAULT_OFFSET_METADATA_MAX_BYTES, WorkerConfig.DEFAULT_MAX_RECORD_BYTES);

        assertThatThrownBy(() -> Worker.start("prompt-worker", config, new EchoStage(), topics.get(0), topics.get(1),
                PromptCreated.getClassSchema(), Time.SYSTEM, WorkerMetrics.inMemory(),
                StageGate.withoutFreeProbe("PROMPT", new SimpleMeterRegistry()), Cancellations.NONE))
                .isInstanceOf(StartupException.class)
                .hasMessage("topic request-failed-missing does not exist on " + TestStack.kafka().bootstrapServers()
                        + "; create with: travelart topics create");
    }

    @Test
    void saysSoInOneLineWhenTheBrokerCannotBeReached() {
        WorkerConfig config = new WorkerConfig(KafkaConfig.of("127.0.0.1:1"), TestStack.registry(), Topics.DEFAULT, "test", 4, 10, Duration.ofMillis(100), RetryConfig.none(), Duration.ofSeconds(5),
                "127.0.0.1", 0, PriceTable.parse(null), Duration.ofSeconds(5), Duration.ofMinutes(5),
                WorkerConfig.DEFAULT_OFFSET_METADATA_MAX_BYTES, WorkerConfig.DEFAULT_MAX_RECORD_BYTES);

        assertThatThrownBy(() -> Worker.start("prompt-worker", config, new EchoStage(), "keyword-requested", "prompt-created",
                PromptCreated.getClassSchema(), Time.SYSTEM, WorkerMetrics.inMemory(),
                StageGate.withoutFreeProbe("PROMPT", new SimpleMeterRegistry()), Cancellations.NONE))
                .isInstanceOf(StartupException.class)
                .hasMessageContaining("Kafka at 127.0.0.1:1 did not answer")
                .satisfies(e -> org.assertj.core.api.Assertions.assertThat(e.getMessage()).doesNotContain("\n"));
    }
}
