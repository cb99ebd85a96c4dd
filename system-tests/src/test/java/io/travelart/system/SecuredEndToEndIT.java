package io.travelart.system;

import io.travelart.webhook.Endpoints;
import io.travelart.webhook.Receiver;
import io.travelart.webhook.WebhookTopics;
import io.travelart.webhook.app.WebhookWorker;
import io.travelart.webhook.app.WebhookWorkerConfig;
import io.travelart.core.kafka.TopicSetup;
import io.travelart.core.config.Settings;
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
    private Path dir;

    @BeforeAll
    void start() throws Exception {
        dir = Files.createTempDirectory("travelart-secured");
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
        TestDirs.delete(dir);
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

    @Test
    void theWebhookWorkerDeliversAsItsOwnPrincipalWithTheAclsOfTheTable() throws Exception {
        try (TopicSetup setup = new TopicSetup(stack.kafkaAs(SecuredStack.CLI), Duration.ofSeconds(30))) {
            setup.create(WebhookTopics.DEFAULT.all(), 1, (short) 1);
        }
        String secret = Endpoints.newSecret();
        try (Receiver receiver = new Receiver(secret)) {
            Map<String, String> env = LocalPipeline.workerSettings(stack, dir);
            env.putAll(stack.settings(SecuredStack.WEBHOOK_WORKER));
            env.put("TRAVELART_INSTANCE_ID", "secured");
            env.put("TRAVELART_WEBHOOK_ENDPOINTS", "secured-webhooks=" + receiver.url());
            env.put("TRAVELART_WEBHOOK_SECRETS", "secured-webhooks=" + secret);
            // It checks at start that it may read and write all it needs: a missing ACL of the table stops it here.
            var worker = WebhookWorker.start(WebhookWorkerConfig.from(Settings.of(env)));
            try {
                KeywordRequested request = RequestPublisher.request("Riga art nouveau street", null, null, null, "secured-webhooks");
                try (RequestPublisher publisher = pipeline.publisher()) {
                    publisher.publish(request);
                }
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> receiver.deliveries.stream()
                        .anyMatch(d -> d.body().contains(request.getRequestId())));
                assertThat(receiver.deliveries).filteredOn(d -> d.body().contains(request.getRequestId()))
                        .allMatch(Receiver.Delivery::verified).first().satisfies(d -> assertThat(d.body()).contains("\"type\":\"image.ready\""));
                System.out.printf("secured cluster: the webhook-worker, as %s with the table's ACLs, delivered %s signed%n",
                        SecuredStack.WEBHOOK_WORKER.name(), request.getRequestId());
            } finally {
                worker.close();
            }
        }
    }

    @Test
    void theApiTakesARequestAndFollowsItToItsImageAsItsOwnPrincipalWithTheAclsOfTheTable() throws Exception {
        String key = io.travelart.api.ApiKeys.newKey();
        Map<String, String> env = new java.util.HashMap<>(stack.environment());
        env.putAll(stack.settings(SecuredStack.API));
        env.put("TRAVELART_API_KEYS", io.travelart.api.ApiKeys.entry("secured-api", key));
        env.put("TRAVELART_API_HOST", "127.0.0.1");
        env.put("TRAVELART_API_PORT", "0");
        env.put("TRAVELART_INSTANCE_ID", "secured");
        env.put("TRAVELART_MANAGEMENT_HOST", "127.0.0.1");
        env.put("TRAVELART_MANAGEMENT_PORT", "0");
        var config = io.travelart.api.ApiConfig.from(Settings.of(env));
        // It checks at start that it may write the requests and cancels, and make and use its idempotency topic.
        try (var api = io.travelart.api.Api.start(config, io.travelart.cli.records.RequestLookup.statuses(config.kafka(),
                pipeline.serde(), new io.travelart.cli.records.RequestLookup.Sources(pipeline.topics(), "image-batch-pending",
                        "image-batches"), io.travelart.core.metrics.PriceTable.parse(null)))) {
            var http = java.net.http.HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + api.port();
            var submitted = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/v1/requests"))
                    .header("Authorization", "Bearer " + key).header("Idempotency-Key", "secured-1")
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"keyword\": \"Vilnius old town in snow\"}")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);
            String id = new com.fasterxml.jackson.databind.ObjectMapper().readTree(submitted.body()).path("requestId").asText();
            // Its status, from the events it may read as its principal, until the image.
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> http.send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/v1/requests/" + id)).header("Authorization", "Bearer " + key)
                            .build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body().contains("\"state\":\"READY\""));
            System.out.printf("secured cluster: the API, as %s with the table's ACLs, took %s and followed it to READY%n",
                    SecuredStack.API.name(), id);
        }
    }

    @Test
    void theRegistryTakesOnlyAClientCertificateWithCredentialsAndTheWorkersKeepTheirTokensFresh() {
        RegistryGate gate = stack.registry();
        // The workers have run through the gate with tokens of their own clients; tokens live 6 s, and readiness asks the
        // registry every 5 s, so a running worker asks for new ones (before its token expires: none was refused expired).
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() ->
                gate.tokensIssuedTo(SecuredStack.PROMPT_WORKER.name()) >= 2 && gate.tokensIssuedTo(SecuredStack.IMAGE_WORKER.name()) >= 2);
        assertThat(gate.passedFor(SecuredStack.IMAGE_WORKER.name())).isPositive();
        assertThat(gate.passedFor("static")).as("the CLI's calls, with its API token").isPositive();
        assertThat(gate.refusedExpired()).as("calls sent with an expired token").isZero();
        Map<String, String> base = new java.util.HashMap<>(Map.of("SCHEMA_REGISTRY_URL", stack.registryUrl()));
        base.putAll(stack.registryTls());
        int schemaId = registry(base, stack.registrySettings(SecuredStack.CLI)).lookup(pipeline.topics().promptCreated() + "-value",
                io.travelart.events.PromptCreated.getClassSchema());

        // The gallery's Basic credentials; then what the gate refuses, each with an error that says why.
        registry(base, stack.registrySettings(SecuredStack.GALLERY)).ping(schemaId);
        int refusedBefore = gate.refused();
        assertThatThrownBy(() -> registry(base, Map.of()).ping(schemaId))
                .hasMessageContaining("answered 401").hasMessageContaining("no credentials were sent");
        assertThatThrownBy(() -> registry(base, Map.of("SCHEMA_REGISTRY_BEARER_AUTH_TOKEN", "not-a-token")).ping(schemaId))
                .hasMessageContaining("the token of SCHEMA_REGISTRY_BEARER_AUTH_TOKEN was refused");
        assertThat(gate.refused()).isEqualTo(refusedBefore + 2);
        Map<String, String> wrongSecret = new java.util.HashMap<>(stack.registrySettings(SecuredStack.IMAGE_WORKER));
        wrongSecret.put("SCHEMA_REGISTRY_BEARER_AUTH_CLIENT_SECRET", "not-the-secret");
        assertThatThrownBy(() -> registry(base, wrongSecret).ping(schemaId))
                .hasMessageContaining("token endpoint").hasMessageContaining("answered 401 ('invalid_client')")
                .hasMessageNotContaining("not-the-secret");
        Map<String, String> noCertificate = new java.util.HashMap<>(base);
        noCertificate.remove("SCHEMA_REGISTRY_SSL_KEYSTORE_LOCATION");
        noCertificate.remove("SCHEMA_REGISTRY_SSL_KEYSTORE_PASSWORD");
        assertThatThrownBy(() -> registry(noCertificate, Map.of("SCHEMA_REGISTRY_BEARER_AUTH_TOKEN", gate.staticToken())).ping(schemaId))
                .as("no client certificate: the handshake fails").hasMessageContaining("cannot be reached");
        Map<String, String> jvmTrust = Map.of("SCHEMA_REGISTRY_URL", stack.registryUrl());
        assertThatThrownBy(() -> registry(jvmTrust, Map.of("SCHEMA_REGISTRY_BEARER_AUTH_TOKEN", gate.staticToken())).ping(schemaId))
                .as("the JVM's trust does not know the test's CA").hasMessageContaining("cannot be reached");
        assertThat(gate.refused()).as("none of those reached the registry").isEqualTo(refusedBefore + 2);

        // A worker whose client secret is wrong stops at start, saying so in one line.
        Map<String, String> worker = LocalPipeline.workerSettings(stack, Path.of(System.getProperty("java.io.tmpdir")));
        worker.putAll(stack.settings(SecuredStack.PROMPT_WORKER));
        worker.put("SCHEMA_REGISTRY_BEARER_AUTH_CLIENT_SECRET", "not-the-secret");
        worker.put("TRAVELART_INSTANCE_ID", "wrong-secret");
        assertThatThrownBy(() -> io.travelart.prompt.app.PromptWorker.start(
                io.travelart.prompt.app.PromptWorkerConfig.from(io.travelart.core.config.Settings.of(worker))).close())
                .hasMessageStartingWith("schema registry: ").hasMessageContaining("token endpoint")
                .hasMessageContaining("invalid_client");
        System.out.printf("registry behind TLS with client certificates: tokens issued prompt-worker %d, image-worker %d (each %d s); "
                + "calls let through image-worker %d, CLI %d; refused %d (none expired)%n",
                gate.tokensIssuedTo(SecuredStack.PROMPT_WORKER.name()), gate.tokensIssuedTo(SecuredStack.IMAGE_WORKER.name()),
                SecuredStack.REGISTRY_TOKEN_LIFETIME.toSeconds(), gate.passedFor(SecuredStack.IMAGE_WORKER.name()),
                gate.passedFor("static"), gate.refused());
    }

    private static io.travelart.core.registry.SchemaRegistryClient registry(Map<String, String> base, Map<String, String> more) {
        Map<String, String> env = new java.util.HashMap<>(base);
        env.putAll(more);
        return new io.travelart.core.registry.SchemaRegistryClient(
                io.travelart.core.config.RegistryConfig.from(io.travelart.core.config.Settings.of(env)));
    }
}
