package io.travelart.system;

import io.travelart.cli.local.LocalPipeline;
import io.travelart.core.config.KafkaConfig;
import io.travelart.core.results.ResultWatcher;
import io.travelart.cli.records.RequestPublisher;
import io.travelart.core.config.Topics;
import io.travelart.core.results.RequestResult;
import io.travelart.events.KeywordRequested;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The end-to-end scenarios on a secured cluster (SASL_SSL; SCRAM-SHA-512 and PLAIN; the standard authorizer), each
 * client as its own principal with exactly the ACLs of the Permissions table in docs/security.md: the workers as
 * {@code prompt-worker} and {@code image-worker}, the publisher and topic setup as {@code travelart-cli}, the results
 * read by {@code gallery} over PLAIN.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SecuredEndToEndIT extends EndToEndScenarios {

    private SecuredStack stack;
    private LocalPipeline pipeline;

    @BeforeAll
    void start() throws Exception {
        Path dir = Files.createTempDirectory("travelart-secured");
        stack = SecuredStack.start(dir);
        var permissions = SecuredStack.permissions();
        assertThat(permissions).as("the Permissions table of docs/security.md").hasSizeGreaterThan(20);
        stack.grant(permissions);
        pipeline = LocalPipeline.start(stack, dir, 3, Map.of(), stack.settings(SecuredStack.PROMPT_WORKER),
                stack.settings(SecuredStack.IMAGE_WORKER));
        System.out.printf("secured cluster: SASL_SSL (TLS from keytool; SCRAM-SHA-512 for the workers and the CLI, PLAIN for the "
                + "gallery), standard authorizer, %d ACLs from docs/security.md%n", stack.aclCount());
    }

    @AfterAll
    void stop() {
        if (pipeline != null) {
            pipeline.close();
        } else if (stack != null) {
            stack.close();
        }
    }

    @Override
    protected LocalPipeline pipeline() {
        return pipeline;
    }

    @Override
    protected ResultWatcher watcher() {
        return new ResultWatcher(stack.kafkaAs(SecuredStack.GALLERY), pipeline.serde(), pipeline.topics(), false, ignored -> { });
    }

    @Override
    protected KafkaConfig observer() {
        return stack.kafkaAs(SecuredStack.ADMIN);
    }

    @Test
    void aClientCertificateIsAPrincipalWithItsOwnAcls() throws Exception {
        KeywordRequested request = RequestPublisher.request("Tallinn old town at dusk", null, null, null, "mtls-test");
        try (RequestPublisher publisher = pipeline.publisher()) {
            publisher.publish(request);
        }
        // Without a certificate the broker ends the handshake; with one but no ACL, it refuses the topic.
        assertThatThrownBy(() -> new ResultWatcher(stack.mutualTls(false), pipeline.serde(), pipeline.topics(), true, ignored -> { }))
                .isInstanceOf(SslAuthenticationException.class);
        assertThatThrownBy(() -> new ResultWatcher(stack.mutualTls(true), pipeline.serde(), pipeline.topics(), true, ignored -> { }))
                .isInstanceOf(TopicAuthorizationException.class);

        String principal = "User:CN=" + SecuredStack.MTLS_CLIENT;
        stack.grant(List.of(Topics.DEFAULT.imageReady(), Topics.DEFAULT.requestFailed()).stream()
                .map(topic -> new AclBinding(new ResourcePattern(ResourceType.TOPIC, topic, PatternType.LITERAL),
                        new AccessControlEntry(principal, "*", AclOperation.READ, AclPermissionType.ALLOW))).toList());
        List<RequestResult> seen = new ArrayList<>();
        try (ResultWatcher watcher = new ResultWatcher(stack.mutualTls(true), pipeline.serde(), pipeline.topics(), true, ignored -> { })) {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(10)).pollInSameThread().until(() -> {
                watcher.poll(Duration.ofMillis(200)).stream().filter(r -> request.getRequestId().equals(r.requestId())).forEach(seen::add);
                return !seen.isEmpty();
            });
        }
        assertThat(seen).singleElement().isInstanceOf(RequestResult.Ready.class);
        System.out.printf("secured cluster, mTLS: no certificate refused at the handshake, %s refused without its ACL, "
                + "then reads its image-ready with READ granted%n", principal);
    }
}
