package io.travelart.system;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.travelart.core.config.KafkaConfig;
import io.travelart.core.config.Settings;
import io.travelart.core.config.Topics;
import io.travelart.core.kafka.TopicSetup;
import io.travelart.core.registry.SchemaRegistryClient;
import io.travelart.core.results.ResultWatcher;
import io.travelart.core.serde.EventSerde;
import io.travelart.devstack.kafka.EmbeddedKafka;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.jose4j.jwk.JsonWebKey;
import org.jose4j.jwk.RsaJsonWebKey;
import org.jose4j.jwk.RsaJwkGenerator;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwt.JwtClaims;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * OAUTHBEARER as identity providers do it: the client asks a token endpoint (served here, client credentials in Basic
 * auth) for a signed JWT, the broker checks it against the provider's keys (JWKS, served here too) and takes its
 * {@code sub} as the principal. Kafka 4 calls only URLs a JVM property allows; TRAVELART_KAFKA_OAUTH_ALLOWED_URLS is the
 * setting that gives it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OAuthBearerIT {

    private static final String CLIENT = "oauth-cli";
    private static final String SECRET = "oauth-client-secret";

    private final AtomicInteger tokensIssued = new AtomicInteger();
    private RsaJsonWebKey key;
    private HttpServer provider;
    private SecuredStack stack;
    private String tokenUrl;

    @BeforeAll
    void start() throws Exception {
        key = RsaJwkGenerator.generateJwk(2048);
        key.setKeyId("travelart-test");
        provider = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        provider.createContext("/jwks", exchange -> answer(exchange, 200,
                "{\"keys\":[" + key.toJson(JsonWebKey.OutputControlLevel.PUBLIC_ONLY) + "]}"));
        provider.createContext("/token", this::token);
        provider.start();
        String base = "http://127.0.0.1:" + provider.getAddress().getPort();
        tokenUrl = base + "/token";
        // The broker's side of the same rule: it may fetch the provider's keys (a real broker has its own JVM and setting).
        System.setProperty(KafkaConfig.OAUTH_ALLOWED_URLS_PROPERTY, base + "/jwks");
        Path dir = Files.createTempDirectory("travelart-oauth");
        stack = SecuredStack.start(dir, Optional.of(base + "/jwks"));
        try (TopicSetup setup = new TopicSetup(stack.kafkaAs(SecuredStack.ADMIN), Duration.ofSeconds(30))) {
            setup.create(Topics.DEFAULT, 1, (short) 1);
        }
        stack.grant(List.of(Topics.DEFAULT.imageReady(), Topics.DEFAULT.requestFailed()).stream()
                .map(topic -> new AclBinding(new ResourcePattern(ResourceType.TOPIC, topic, PatternType.LITERAL),
                        new AccessControlEntry("User:" + CLIENT, "*", AclOperation.READ, AclPermissionType.ALLOW))).toList());
    }

    @AfterAll
    void stop() {
        stack.close();
        provider.stop(0);
    }

    /** Client credentials (RFC 6749 4.4) in Basic auth, as Kafka's login sends them; a signed JWT for the client back. */
    private void token(HttpExchange exchange) throws IOException {
        String auth = exchange.getRequestHeaders().getFirst("Authorization");
        String expected = "Basic " + Base64.getEncoder().encodeToString((CLIENT + ":" + SECRET).getBytes(StandardCharsets.UTF_8));
        String form = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        if (!expected.equals(auth) || !form.contains("grant_type=client_credentials")) {
            answer(exchange, 401, "{\"error\":\"invalid_client\"}");
            return;
        }
        try {
            JwtClaims claims = new JwtClaims();
            claims.setSubject(CLIENT);
            claims.setAudience(EmbeddedKafka.OAUTH_AUDIENCE);
            claims.setIssuer("http://127.0.0.1/travelart-test");
            claims.setIssuedAtToNow();
            claims.setExpirationTimeMinutesInTheFuture(60);
            claims.setClaim("scope", "kafka");
            JsonWebSignature jws = new JsonWebSignature();
            jws.setPayload(claims.toJson());
            jws.setKey(key.getPrivateKey());
            jws.setKeyIdHeaderValue(key.getKeyId());
            jws.setAlgorithmHeaderValue(AlgorithmIdentifiers.RSA_USING_SHA256);
            tokensIssued.incrementAndGet();
            answer(exchange, 200, "{\"access_token\":\"" + jws.getCompactSerialization()
                    + "\",\"token_type\":\"Bearer\",\"expires_in\":3600}");
        } catch (Exception e) {
            answer(exchange, 500, "{\"error\":\"" + e.getClass().getSimpleName() + "\"}");
        }
    }

    private static void answer(HttpExchange exchange, int status, String json) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    private ResultWatcher watcher(KafkaConfig kafka) {
        EventSerde serde = new EventSerde(new SchemaRegistryClient(io.travelart.core.config.RegistryConfig.from(
                Settings.of(stack.environment()))), true);
        return new ResultWatcher(kafka, serde, Topics.DEFAULT, true, ignored -> { });
    }

    @Test
    void theClientLogsInWithAProvidersTokenOnceTheSettingAllowsItsEndpoint() {
        // Kafka 4 will not call a token endpoint the JVM property does not name: the login fails, saying so.
        assertThatThrownBy(() -> watcher(stack.oauth(tokenUrl, CLIENT, SECRET, Map.of())).close())
                .satisfies(e -> assertThat(chain(e)).contains(KafkaConfig.OAUTH_ALLOWED_URLS_PROPERTY));
        assertThat(tokensIssued).hasValue(0);

        Map<String, String> setting = Map.of(KafkaConfig.OAUTH_ALLOWED_URLS_SETTING, tokenUrl);
        // A wrong secret: the provider refuses it, and so the broker never sees a token.
        assertThatThrownBy(() -> watcher(stack.oauth(tokenUrl, CLIENT, "not-the-secret", setting)).close());
        assertThat(tokensIssued).hasValue(0);

        try (ResultWatcher watcher = watcher(stack.oauth(tokenUrl, CLIENT, SECRET, setting))) {
            watcher.poll(Duration.ofMillis(200));
        }
        assertThat(tokensIssued).hasValueGreaterThanOrEqualTo(1);
        assertThat(System.getProperty(KafkaConfig.OAUTH_ALLOWED_URLS_PROPERTY)).contains(tokenUrl).contains("/jwks");
        System.out.printf("OAUTHBEARER: the token endpoint refused until %s allowed it; then %d token(s) issued and the broker "
                + "took User:%s from the token, with its READ ACLs%n", KafkaConfig.OAUTH_ALLOWED_URLS_SETTING, tokensIssued.get(), CLIENT);
    }

    private static String chain(Throwable e) {
        StringBuilder all = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            all.append(t.getMessage()).append(" | ");
        }
        return all.toString();
    }
}
