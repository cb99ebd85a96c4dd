package io.travelart.core.kafka;

import io.travelart.core.config.KafkaConfig;
import io.travelart.core.config.Topics;
import io.travelart.core.time.Time;
import org.apache.kafka.clients.admin.DescribeConsumerGroupsOptions;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;
import org.apache.kafka.common.errors.TransactionalIdNotFoundException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
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
import java.util.TreeMap;
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
        return create(topics, topic -> Map.of(), partitions, replicationFactor);
    }

    /** The pipeline's topics, each with its own settings ({@link Topics#configs}: the cancels' are compacted). */
    public List<Created> create(Topics topics, int partitions, short replicationFactor) {
        return create(topics.all(), topics::configs, partitions, replicationFactor);
    }

    private List<Created> create(Collection<String> topics, java.util.function.Function<String, Map<String, String>> configs,
                                 int partitions, short replicationFactor) {
        Set<String> existing = existing();
        List<Created> result = new ArrayList<>();
        for (String topic : topics) {
            if (existing.contains(topic)) {
                result.add(new Created(topic, -1, true));
                continue;
            }
            try {
                admin.createTopics(List.of(new NewTopic(topic, partitions, replicationFactor).configs(configs.apply(topic)))).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
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

    /**
     * What a client's principal must be allowed: operations on topics and on consumer groups, and the transactional ids
     * it writes with. Checked at start, so that a missing ACL stops the start with a line naming it, instead of a client
     * retrying an authorization failure.
     */
    public record Access(Map<String, Set<AclOperation>> topics, Map<String, Set<AclOperation>> groups, List<String> transactionalIds) {
    }

    private static final String MISSING_ACL = " (an ACL is missing: see the Permissions table in docs/security.md)";

    /** Throws a {@link KafkaSetupException} naming the first permission the principal lacks (docs/security.md lists them). */
    public void requireAccess(Access access) {
        try {
            requireTopicAccess(access.topics());
            requireGroupAccess(access.groups());
            for (String id : access.transactionalIds()) {
                try {
                    admin.describeTransactions(List.of(id)).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof TransactionalIdAuthorizationException) {
                        throw new KafkaSetupException("Kafka: this principal may not WRITE transactional id " + id + MISSING_ACL, e.getCause());
                    }
                    // An id not used yet is not found, which the broker says only to a principal that may use it.
                    if (!(e.getCause() instanceof TransactionalIdNotFoundException)) {
                        throw e;
                    }
                }
            }
        } catch (ExecutionException e) {
            throw failure("checking topics and permissions", e.getCause());
        } catch (TimeoutException | InterruptedException e) {
            throw failure("checking topics and permissions", e);
        }
    }

    private void requireTopicAccess(Map<String, Set<AclOperation>> wanted)
            throws ExecutionException, TimeoutException, InterruptedException {
        var topics = admin.describeTopics(wanted.keySet(), new DescribeTopicsOptions().includeAuthorizedOperations(true))
                .topicNameValues();
        Set<String> absent = new TreeSet<>();
        for (var topic : new TreeMap<>(wanted).entrySet()) {
            Set<AclOperation> allowed;
            try {
                allowed = topics.get(topic.getKey()).get(timeout.toMillis(), TimeUnit.MILLISECONDS).authorizedOperations();
            } catch (ExecutionException e) {
                switch (e.getCause()) {
                    // Kafka says the same of a topic that does not exist when the principal may not see it.
                    case TopicAuthorizationException denied -> throw new KafkaSetupException("Kafka: this principal may not "
                            + either(topic.getValue()) + " topic " + topic.getKey() + " (nor DESCRIBE it), or the topic does not exist"
                            + MISSING_ACL, denied);
                    case UnknownTopicOrPartitionException missing -> {
                        absent.add(topic.getKey());
                        continue;
                    }
                    default -> throw e;
                }
            }
            requireAll(allowed, topic.getValue(), "topic " + topic.getKey());
        }
        if (!absent.isEmpty()) {
            requireTopics(absent);
        }
    }

    private void requireGroupAccess(Map<String, Set<AclOperation>> wanted)
            throws ExecutionException, TimeoutException, InterruptedException {
        var groups = admin.describeConsumerGroups(wanted.keySet(), new DescribeConsumerGroupsOptions().includeAuthorizedOperations(true))
                .describedGroups();
        for (var group : new TreeMap<>(wanted).entrySet()) {
            Set<AclOperation> allowed;
            try {
                allowed = groups.get(group.getKey()).get(timeout.toMillis(), TimeUnit.MILLISECONDS).authorizedOperations();
            } catch (ExecutionException e) {
                if (e.getCause() instanceof GroupAuthorizationException) {
                    throw new KafkaSetupException("Kafka: this principal may not " + either(group.getValue()) + " group " + group.getKey()
                            + MISSING_ACL, e.getCause());
                }
                // A group not made yet is not found, which the broker says only to a principal that may use it.
                if (!(e.getCause() instanceof GroupIdNotFoundException)) {
                    throw e;
                }
                continue;
            }
            requireAll(allowed, group.getValue(), "group " + group.getKey());
        }
    }

    /** {@code allowed} is null where the broker does not say (older brokers): then the use itself will tell. */
    private static void requireAll(Set<AclOperation> allowed, Set<AclOperation> wanted, String resource) {
        for (AclOperation operation : new TreeSet<>(wanted)) {
            if (allowed != null && !allowed.contains(operation)) {
                throw new KafkaSetupException("Kafka: this principal may not " + operation + " " + resource + MISSING_ACL, null);
            }
        }
    }

    private static String either(Set<AclOperation> operations) {
        return String.join(" or ", operations.stream().map(String::valueOf).sorted().toList());
    }

    /** Throws a {@link KafkaSetupException} naming every topic that does not exist. */
    public void requireTopics(Collection<String> topics) {
        Set<String> missing = new TreeSet<>(topics);
        missing.removeAll(existing());
        if (!missing.isEmpty()) {
            // The list shows only the topics this principal may DESCRIBE: tell a missing ACL from a missing topic.
            try {
                admin.describeTopics(missing).allTopicNames().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof TopicAuthorizationException denied) {
                    throw new KafkaSetupException("Kafka: this principal may not DESCRIBE topic" + (missing.size() > 1 ? "s " : " ")
                            + String.join(", ", missing) + ", or " + (missing.size() > 1 ? "they do" : "it does") + " not exist (see the "
                            + "Permissions table in docs/security.md; create topics with: travelart topics create)", denied);
                }
            } catch (TimeoutException | InterruptedException e) {
                throw failure("describing topics " + missing, e);
            }
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
