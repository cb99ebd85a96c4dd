package io.travelart.system;

import io.travelart.cli.local.LocalPipeline;
import io.travelart.core.config.Settings;
import io.travelart.core.config.Topics;
import io.travelart.core.kafka.TopicSetup;
import io.travelart.core.worker.StartupException;
import io.travelart.image.app.ImageWorker;
import io.travelart.image.app.ImageWorkerConfig;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * An image-worker whose principal lacks one ACL of the Permissions table stops at start with one line that names the
 * permission, instead of retrying an authorization failure; with the ACL back, it starts.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MissingAclIT {

    private SecuredStack stack;
    private Path dir;

    @BeforeAll
    void start() throws Exception {
        dir = Files.createTempDirectory("travelart-acl");
        stack = SecuredStack.start(dir);
        stack.grant(SecuredStack.permissions());
        try (TopicSetup setup = new TopicSetup(stack.kafkaAs(SecuredStack.CLI), Duration.ofSeconds(30))) {
            setup.create(Topics.from(Settings.of(Map.of())), 1, (short) 1);
        }
    }

    @AfterAll
    void stop() {
        stack.close();
    }

    /** Each of the image-worker's ACLs but the CREATE ones (its topics exist), one at a time. */
    Stream<AclBinding> imageWorkerAcls() {
        return SecuredStack.permissions().stream()
                .filter(b -> b.entry().principal().equals("User:" + SecuredStack.IMAGE_WORKER.name()))
                .filter(b -> b.entry().operation() != AclOperation.CREATE);
    }

    @ParameterizedTest
    @MethodSource("imageWorkerAcls")
    void withoutThisAclTheImageWorkerStopsAtStartNamingIt(AclBinding missing) {
        stack.revoke(missing);
        long readersBefore = cancelReaders();
        try {
            long started = System.nanoTime();
            assertThatThrownBy(this::startImageWorker).isInstanceOf(StartupException.class).satisfies(e -> {
                String line = e.getMessage();
                System.out.printf("missing ACL %s %s %s: the image-worker stops in %d ms: %s%n", missing.entry().operation(),
                        missing.pattern().resourceType(), missing.pattern().name(), (System.nanoTime() - started) / 1_000_000, line);
                assertThat(line).doesNotContain("\n").contains("docs/security.md");
                String named = switch (missing.pattern().resourceType()) {
                    case TOPIC -> "topic " + missing.pattern().name();
                    case GROUP -> "group " + missing.pattern().name();
                    default -> "transactional id " + missing.pattern().name();
                };
                assertThat(line).contains(named);
                assertThat(line).contains("may not " + missing.entry().operation());
            });
            // What it had started by then is closed: no reader of the cancels is left polling (a process would exit; a
            // worker started in a JVM that goes on, as LocalPipeline's, must not leave it behind).
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(cancelReaders()).isLessThanOrEqualTo(readersBefore));
        } finally {
            stack.grant(List.of(missing));
        }
    }

    @org.junit.jupiter.api.Test
    void withEveryAclTheImageWorkerStarts() {
        try (ImageWorker worker = startImageWorker()) {
            assertThat(worker.managementPort()).isPositive();
        }
    }

    private static long cancelReaders() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.isAlive() && t.getName().startsWith("cancel-reader")).count();
    }

    private ImageWorker startImageWorker() {
        Map<String, String> env = LocalPipeline.workerSettings(stack, dir);
        env.putAll(stack.settings(SecuredStack.IMAGE_WORKER));
        env.put("TRAVELART_INSTANCE_ID", "acl-test");
        return ImageWorker.start(ImageWorkerConfig.from(Settings.of(env)));
    }
}
