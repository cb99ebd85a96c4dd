package io.travelart.system;

import io.travelart.cli.local.LocalPipeline;
import io.travelart.core.config.KafkaConfig;
import io.travelart.core.results.ResultWatcher;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

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
}
