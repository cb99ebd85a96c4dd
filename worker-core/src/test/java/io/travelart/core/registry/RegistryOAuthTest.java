package io.travelart.core.registry;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.travelart.core.VirtualTime;
import io.travelart.core.config.RegistryConfig;
import io.travelart.core.config.Settings;
import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * OAuth client credentials towards the registry, in virtual time: one HTTP server plays the identity provider
 * ({@code /token}) and the registry ({@code /schemas/ids/7}), which takes only tokens the provider issued and has not
 * revoked.
 */
class RegistryOAuthTest {

    private static final String CLIENT = "travelart-image";
    private static final String SECRET = "p@ss word&=";

    private final VirtualTime time = new VirtualTime();
    private final AtomicInteger issued = new AtomicInteger();
    private final Set<String> valid = ConcurrentHashMap.newKeySet();
    private final List<String> forms = new CopyOnWriteArrayList<>();
    private final List<String> sent = new CopyOnWriteArrayList<>();
    private final List<String> clusters = new CopyOnWriteArrayList<>();
    private volatile int providerStatus = 200;
    private HttpServer server;
    private String base;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/token", this::token);
        server.createContext("/schemas/ids/7", exchange -> {
            String auth = exchange.getRequestHeaders().getFirst("Authorization");
            sent.add(auth);
            String cluster = exchange.getRequestHeaders().getFirst("target-sr-cluster");
            if (cluster != null) {
                clusters.add(cluster);
            }
            boolean known = auth != null && auth.startsWith("Bearer ") && valid.contains(auth.substring(7));
            answer(exchange, known ? 200 : 401, known ? "{\"schema\":\"\\\"string\\\"\"}"
                    : "{\"error_code\":40101,\"message\":\"Unauthorized\"}");
        });
        server.start();
        base = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private void token(HttpExchange exchange) throws IOException {
        String form = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        forms.add(form);
        String auth = exchange.getRequestHeaders().getFirst("Authorization");
        // RFC 6749 2.3.1: id and secret form-encoded, then Basic.
        String expected = "Basic " + Base64.getEncoder().encodeToString((CLIENT + ":" + java.net.URLEncoder.encode(SECRET,
                StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8));
        if (providerStatus != 200) {
            answer(exchange, providerStatus, "{\"error\":\"temporarily_unavailable\"}");
        } else if (!expected.equals(auth)) {
            answer(exchange, 401, "{\"error\":\"invalid_client\",\"error_description\":\"bad secret\"}");
        } else {
            String token = "t" + issued.incrementAndGet();
            valid.add(token);
            answer(exchange, 200, "{\"access_token\":\"" + token + "\",\"token_type\":\"Bearer\",\"expires_in\":60}");
        }
    }

    private static void answer(HttpExchange exchange, int status, String json) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    private SchemaRegistryClient client(String secret) {
        return new SchemaRegistryClient(RegistryConfig.from(Settings.of(Map.of(
                "SCHEMA_REGISTRY_URL", base,
                "SCHEMA_REGISTRY_BEARER_AUTH_ISSUER_ENDPOINT_URL", base + "/token",
                "SCHEMA_REGISTRY_BEARER_AUTH_CLIENT_ID", CLIENT,
                "SCHEMA_REGISTRY_BEARER_AUTH_CLIENT_SECRET", secret,
                "SCHEMA_REGISTRY_BEARER_AUTH_SCOPE", "schema-registry read"))), time);
    }

    @Test
    void aTokenIsKeptUntilEightyPercentOfItsLifeThenAskedForAgain() {
        SchemaRegistryClient client = client(SECRET);
        client.ping(7);
        client.ping(7);
        time.advance(Duration.ofSeconds(47));
        client.ping(7);
        assertThat(issued).as("one token for the first 80%% of its 60 s").hasValue(1);

        time.advance(Duration.ofSeconds(2));
        client.ping(7);
        assertThat(issued).hasValue(2);
        assertThat(sent).containsExactly("Bearer t1", "Bearer t1", "Bearer t1", "Bearer t2");
        assertThat(forms).allSatisfy(form -> assertThat(URLDecoder.decode(form, StandardCharsets.UTF_8))
                .isEqualTo("grant_type=client_credentials&scope=schema-registry read"));
    }

    @Test
    void aTokenTheRegistryRefusesIsReplacedAndTheCallSentAgainOnce() {
        SchemaRegistryClient client = client(SECRET);
        client.ping(7);
        valid.clear(); // the registry revokes every token it knows
        client.ping(7);
        assertThat(sent).containsExactly("Bearer t1", "Bearer t1", "Bearer t2");

        // A registry that refuses every token, new ones too: the second 401 is final, and says whose token it was.
        valid.clear();
        server.removeContext("/token");
        server.createContext("/token", exchange -> {
            exchange.getRequestBody().readAllBytes();
            answer(exchange, 200, "{\"access_token\":\"never-valid\",\"expires_in\":60}");
        });
        assertThatThrownBy(() -> client.ping(7)).isInstanceOf(RegistryException.class)
                .hasMessageContaining("401").hasMessageContaining("token of client " + CLIENT + " was refused");
    }

    @Test
    void whileTheProviderIsDownAValidTokenIsStillUsedAndAnExpiredOneIsNot() {
        SchemaRegistryClient client = client(SECRET);
        client.ping(7);
        providerStatus = 503;
        time.advance(Duration.ofSeconds(50)); // due for a new token, 10 s of the old one left
        client.ping(7);
        assertThat(sent).containsExactly("Bearer t1", "Bearer t1");
        int asked = forms.size();
        client.ping(7);
        assertThat(forms).as("not asked again within 5 s of a failure").hasSize(asked);

        time.advance(Duration.ofSeconds(11)); // the old token has expired
        assertThatThrownBy(() -> client.ping(7)).isInstanceOf(RegistryException.class)
                .hasMessageContaining("token endpoint").hasMessageContaining("503");
        providerStatus = 200;
        client.ping(7);
        assertThat(sent).last().isEqualTo("Bearer t2");
    }

    @Test
    void aWrongSecretFailsOnceWithTheProvidersAnswerAndNeverShowsTheSecret() {
        SchemaRegistryClient client = client("not the secret");
        assertThatThrownBy(() -> client.schemaById(7)).isInstanceOf(RegistryException.class)
                .hasMessageContaining("token endpoint " + base + "/token answered 401 ('invalid_client: bad secret') for client " + CLIENT)
                .hasMessageNotContaining("not the secret");
        assertThat(forms).as("a 401 is final: not tried four times").hasSize(1);
        assertThat(sent).as("no call reached the registry").isEmpty();
    }

    @Test
    void theProvidersAnswerIsReadBoundedAndMustHoldAToken() {
        server.removeContext("/token");
        server.createContext("/token", exchange -> {
            exchange.getRequestBody().readAllBytes();
            exchange.sendResponseHeaders(200, 0);
            try (OutputStream out = exchange.getResponseBody()) {
                byte[] chunk = new byte[64 * 1024];
                java.util.Arrays.fill(chunk, (byte) ' ');
                for (int i = 0; i < 10_000; i++) { // 640 MB of white space, if it were read whole
                    out.write(chunk);
                }
            } catch (IOException clientLeft) {
                // the client stopped reading: what it should do
            }
        });
        assertThatThrownBy(() -> client(SECRET).ping(7)).isInstanceOf(RegistryException.class)
                .hasMessageContaining("without an access_token");
    }

    @Test
    void aProviderThatTricklesItsAnswerIsGivenUpAfterTheTimeout() {
        server.removeContext("/token");
        server.createContext("/token", exchange -> {
            exchange.getRequestBody().readAllBytes();
            exchange.sendResponseHeaders(200, 0);
            OutputStream out = exchange.getResponseBody();
            out.write('{');
            out.flush(); // and nothing more: the answer never ends
        });
        OAuthTokens tokens = new OAuthTokens(new RegistryConfig.ClientCredentials(base + "/token", CLIENT, SECRET,
                java.util.Optional.empty()), java.net.http.HttpClient.newHttpClient(), time, Duration.ofMillis(300));
        long started = System.nanoTime();
        assertThatThrownBy(tokens::token).isInstanceOf(RegistryException.class)
                .hasMessageContaining("did not finish its answer within 300 ms");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).as("given up, not waited for").isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void aStaticTokenIsSentAsItIs() {
        valid.add("static-123");
        SchemaRegistryClient client = new SchemaRegistryClient(RegistryConfig.from(Settings.of(Map.of(
                "SCHEMA_REGISTRY_URL", base, "SCHEMA_REGISTRY_BEARER_AUTH_TOKEN", "static-123",
                "SCHEMA_REGISTRY_BEARER_AUTH_LOGICAL_CLUSTER", "lsrc-1"))), time);
        assertThat(client.schemaById(7)).isEqualTo(Schema.create(Schema.Type.STRING));
        assertThat(sent).containsExactly("Bearer static-123");
        assertThat(clusters).as("Confluent Cloud's header for the logical cluster").containsExactly("lsrc-1");
        assertThat(issued).hasValue(0);
    }
}
