package io.travelart.core.kafka;

import io.travelart.core.config.KafkaConfig;
import io.travelart.core.time.Time;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.stream.Collectors;

/** Creates and checks the pipeline's topics. */
public final class TopicSetup implements AutoCloseable {

    private final Admin admin;
    private final String bootstrap;
    private final Duration timeout;
    private final Time time;

    public TopicSetup(KafkaConfig kafka, Duration timeout) {
        this(kafka, timeout, Time.SYSTEM);
    }

    /** @param time what measures the wait for leaders and waits between looks */
    public TopicSetup(KafkaConfig kafka, Duration timeout, Time time) {
        this.time = time;
        this.bootstrap = kafka.bootstrapServers();
        this.timeout = timeout;
        this.admin = Admin.create(kafka.with(Map.of(
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Long.toString(timeout.toMillis()),
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, Long.toString(Math.min(timeout.toMillis(), 30_000)))));
    }

    /** What {@link #create} did with one topic. */
    public record Created(String topic, int partitions, boolean existed) {
    }

    /**
     * Creates the topics that do not exist yet and waits until every partition of every topic answers
     * a latest-offset query: the first batch sent to a just-created topic can otherwise be lost (KAFKA-15591).
     */
    public List<Created> create(Collection<String> topics, int partitions, short replicationFactor) {
        Set<String> existing = existing();
        List<Created> result = new ArrayList<>();
        for (String topic : topics) {
            if (existing.contains(topic)) {
                result.add(new Created(topic, -1, true));
                continue;
            }
            try {
                admin.createTopics(List.of(new NewTopic(topic, partitions, replicationFactor))).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                result.add(new Created(topic, partitions, false));
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw failure("creating topic " + topic, e.getCause());
                }
                result.add(new Created(topic, -1, true));
            } catch (TimeoutException | InterruptedException e) {
                throw failure("creating topic " + topic, e);
            }
        }
        awaitReady(topics);
        return result.stream().map(c -> c.existed() ? new Created(c.topic(), partitionCount(c.topic()), true) : c).toList();
    }

    /**
     * Creates a topic a worker keeps for itself (a compacted state topic, say) when it is missing, with its own
     * settings and the brokers' default replication, and waits until it is usable.
     */
    public void ensure(String topic, int partitions, Map<String, String> configs) {
        if (!existing().contains(topic)) {
            try {
                admin.createTopics(List.of(new NewTopic(topic, Optional.of(partitions), Optional.empty()).configs(configs)))
                        .all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw failure("creating topic " + topic, e.getCause());
                }
            } catch (TimeoutException | InterruptedException e) {
                throw failure("creating topic " + topic, e);
            }
        }
        awaitReady(List.of(topic));
    }

    /** Throws a {@link KafkaSetupException} naming every topic that does not exist. */
    public void requireTopics(Collection<String> topics) {
        Set<String> missing = new TreeSet<>(topics);
        missing.removeAll(existing());
        if (!missing.isEmpty()) {
            throw new KafkaSetupException("topic" + (missing.size() > 1 ? "s " : " ") + String.join(", ", missing)
                    + (missing.size() > 1 ? " do" : " does") + " not exist on " + bootstrap
                    + "; create with: travelart topics create");
        }
    }

    public Set<String> existing() {
        try {
            return admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw failure("listing topics", e.getCause());
        } catch (TimeoutException | InterruptedException e) {
            throw failure("listing topics", e);
        }
    }

    public int partitionCount(String topic) {
        return describe(List.of(topic)).get(topic).partitions().size();
    }

    private Map<String, TopicDescription> describe(Collection<String> topics) {
        try {
            return admin.describeTopics(topics).allTopicNames().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw failure("describing topics " + topics, e.getCause());
        } catch (TimeoutException | InterruptedException e) {
            throw failure("describing topics " + topics, e);
        }
    }

    private void awaitReady(Collection<String> topics) {
        long deadline = time.nanoTime() + timeout.toNanos();
        RuntimeException last = null;
        while (time.nanoTime() - deadline < 0) {
            try {
                Map<TopicPartition, OffsetSpec> query = describe(topics).values().stream()
                        .flatMap(d -> d.partitions().stream().map(p -> new TopicPartition(d.name(), p.partition())))
                        .collect(Collectors.toMap(Function.identity(), tp -> OffsetSpec.latest()));
                admin.listOffsets(query).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                return;
            } catch (ExecutionException | TimeoutException | KafkaSetupException e) {
                last = new RuntimeException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw failure("waiting for topics", e);
            }
            try {
                // Leaders of new partitions are elected within moments; poll the metadata again.
                time.sleep(Duration.ofMillis(100));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw failure("waiting for topics", e);
            }
        }
        throw failure("waiting for topics " + topics + " to have leaders", last);
    }

    private KafkaSetupException failure(String what, Throwable cause) {
        if (cause instanceof InterruptedException) {
            Thread.currentThread().interrupt();
        }
        String reason = cause instanceof TimeoutException || cause instanceof org.apache.kafka.common.errors.TimeoutException
                ? "Kafka at " + bootstrap + " did not answer within " + timeout.toSeconds() + " s (is it running?)"
                : String.valueOf(cause == null ? "unknown" : cause.getMessage());
        return new KafkaSetupException(what + " failed: " + reason, cause);
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(5));
    }
}
