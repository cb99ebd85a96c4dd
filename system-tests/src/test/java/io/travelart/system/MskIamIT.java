package io.travelart.system;

import io.travelart.cli.bench.WorkerProcess;
import io.travelart.cli.records.CommittedRecords;
import io.travelart.cli.records.RequestPublisher;
import io.travelart.core.config.RegistryConfig;
import io.travelart.core.config.Settings;
import io.travelart.core.config.Topics;
import io.travelart.core.kafka.TopicSetup;
import io.travelart.core.registry.SchemaRegistryClient;
import io.travelart.core.serde.EventSerde;
import io.travelart.events.KeywordRequested;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Amazon MSK's IAM access control as far as it goes without AWS: the prompt-worker's jar, as shipped, logs in with
 * {@code AWS_MSK_IAM} through AWS's own library on its class path, its credentials from the environment as the AWS SDK's
 * default chain reads them (on EKS, IRSA or Pod Identity put them there). The secured broker checks the SigV4 signature
 * the library makes ({@code MskIamSaslServer}) and takes the key's principal, whose ACLs then apply. Not tested: STS,
 * web identity, real IAM policies.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MskIamIT {

    private SecuredStack stack;
    private Path dir;

    @BeforeAll
    void start() throws Exception {
        ProcessPipeline.requireWorkerJars();
        dir = Files.createTempDirectory("travelart-msk-iam");
        stack = SecuredStack.start(dir);
        stack.grant(SecuredStack.permissions());
        try (TopicSetup setup = new TopicSetup(stack.kafkaAs(SecuredStack.ADMIN), Duration.ofSeconds(30))) {
            setup.create(Topics.DEFAULT, 1, (short) 1);
        }
    }

    @AfterAll
    void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    /** The prompt-worker's settings for an IAM login with this secret key, as an MSK deployment writes them. */
    private Map<String, String> iam(String secretAccessKey, String instance) {
        Map<String, String> env = new HashMap<>(stack.environment());
        env.putAll(stack.settings(SecuredStack.PROMPT_WORKER));
        env.put("KAFKA_SASL_MECHANISM", "AWS_MSK_IAM");
        env.put("KAFKA_SASL_JAAS_CONFIG", "software.amazon.msk.auth.iam.IAMLoginModule required;");
        env.put("KAFKA_SASL_CLIENT_CALLBACK_HANDLER_CLASS", "software.amazon.msk.auth.iam.IAMClientCallbackHandler");
        env.put("AWS_ACCESS_KEY_ID", SecuredStack.IAM_KEY.accessKeyId());
        env.put("AWS_SECRET_ACCESS_KEY", secretAccessKey);
        env.put("AWS_REGION", "eu-west-1");
        env.put("TRAVELART_INSTANCE_ID", instance);
        env.put("TRAVELART_MANAGEMENT_HOST", "127.0.0.1");
        env.put("TRAVELART_MANAGEMENT_PORT", "0");
        return env;
    }

    @Test
    void theWorkerJarLogsInWithAwsMskIamAndWorksAsItsPrincipal() throws Exception {
        Path log = ProcessPipeline.LOGS.resolve("prompt-worker-iam.log");
        try (WorkerProcess worker = WorkerProcess.start("prompt-worker", iam(SecuredStack.IAM_KEY.secretAccessKey(), "iam"), "512m", log)) {
            KeywordRequested request = RequestPublisher.request("Reykjavik harbour at midnight sun", null, null, null, "msk-iam-test");
            EventSerde serde = new EventSerde(new SchemaRegistryClient(RegistryConfig.from(Settings.of(stack.environment()))), true);
            try (RequestPublisher publisher = new RequestPublisher(stack.kafkaAs(SecuredStack.CLI), serde, Topics.DEFAULT.keywordRequested())) {
                publisher.publish(request);
            }
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).until(() ->
                    CommittedRecords.keyCounts(stack.kafkaAs(SecuredStack.ADMIN), Topics.DEFAULT.promptCreated())
                            .containsKey(request.getRequestId()));
            assertThat(worker.isAlive()).isTrue();
            assertThat(worker.stop()).isZero();
        }
        System.out.printf("MSK IAM: the prompt-worker jar logged in with AWS_MSK_IAM as User:%s (signature checked by the broker) "
                + "and wrote the prompt%n", SecuredStack.IAM_KEY.principal());
    }

    @Test
    void aWrongSecretKeyIsRefusedAndTheWorkerStopsSayingWhy() throws Exception {
        Path log = ProcessPipeline.LOGS.resolve("prompt-worker-iam-wrong.log");
        try (WorkerProcess worker = WorkerProcess.start("prompt-worker", iam("not-the-secret-key", "iam-wrong"), "512m", log)) {
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() -> !worker.isAlive());
            assertThat(worker.stop()).isNotZero();
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        assertThat(output).contains("AWS_MSK_IAM: the signature does not match").doesNotContain("not-the-secret-key");
    }
}
