package io.travelart.core.registry;

import com.sun.net.httpserver.HttpServer;
import io.travelart.core.TestStack;
import io.travelart.core.config.RegistryConfig;
import io.travelart.events.KeywordRequested;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Against the real Apicurio registry, through its Confluent-compatible API. */
class SchemaRegistryClientTest {

    private final SchemaRegistryClient client = new SchemaRegistryClient(TestStack.registry());

    private static String subject() {
        return "test-" + UUID.randomUUID() + "-value";
    }

    private static SchemaBuilder.FieldAssembler<Schema> base() {
        return SchemaBuilder.record("Trip").namespace("test").fields().requiredString("id");
    }

    @Test
    void registersLooksUpAndListsVersions() {
        String subject = subject();
        Schema schema = KeywordRequested.getClassSchema();

        int id = client.register(subject, schema);

        assertThat(id).isPositive();
        assertThat(new SchemaRegistryClient(TestStack.registry()).schemaById(id)).isEqualTo(schema);
        assertThat(new SchemaRegistryClient(TestStack.registry()).lookup(subject, schema)).isEqualTo(id);
        assertThat(client.register(subject, schema)).as("registering again").isEqualTo(id);
        assertThat(client.versions(subject)).containsExactly(1);
        SchemaRegistryClient.SubjectVersion latest = client.version(subject, "latest");
        assertThat(latest.version()).isEqualTo(1);
        assertThat(latest.id()).isEqualTo(id);
        assertThat(latest.schema()).isEqualTo(schema);
    }

    @Test
    void backwardCompatibleEvolutionIsAcceptedAndAnIncompatibleOneIsRefusedWith409() {
        String subject = subject();
        client.setCompatibility(subject, "BACKWARD");
        assertThat(client.compatibility(subject)).isEqualTo("BACKWARD");
        client.register(subject, base().endRecord());

        Schema withDefault = base().optionalString("note").endRecord();
        assertThat(client.isCompatible(subject, withDefault)).isTrue();
        client.register(subject, withDefault);
        assertThat(client.versions(subject)).containsExactly(1, 2);

        Schema newRequiredField = base().optionalString("note").requiredInt("nights").endRecord();
        assertThat(client.isCompatible(subject, newRequiredField)).isFalse();
        assertThatThrownBy(() -> client.register(subject, newRequiredField))
                .isInstanceOfSatisfying(RegistryException.class, e -> {
                    assertThat(e.status()).isEqualTo(409);
                    assertThat(e.isIncompatible()).isTrue();
                });
        assertThat(client.versions(subject)).containsExactly(1, 2);
    }

    @Test
    void unknownIdsAreNotFound() {
        assertThatThrownBy(() -> client.schemaById(987_654))
                .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.isNotFound()).isTrue());
    }

    @Test
    void anUnreachableRegistrySaysWhere() {
        SchemaRegistryClient nowhere = new SchemaRegistryClient(RegistryConfig.of("http://127.0.0.1:1"));
        assertThatThrownBy(() -> nowhere.schemaById(1))
                .isInstanceOf(RegistryException.class)
                .hasMessageContaining("http://127.0.0.1:1").hasMessageContaining("cannot be reached");
    }

    @Test
    void transientServerErrorsAreRetriedAndOthersAreNot() throws Exception {
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        java.util.Deque<Integer> statuses = new java.util.concurrent.ConcurrentLinkedDeque<>(java.util.List.of(500, 503, 200, 404));
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            calls.incrementAndGet();
            int status = statuses.isEmpty() ? 500 : statuses.poll();
            byte[] body = (status == 200 ? "{\"schema\":\"\\\"string\\\"\"}" : "{\"message\":\"busy\"}").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        try {
            var time = new io.travelart.core.VirtualTime();
            SchemaRegistryClient flaky = new SchemaRegistryClient(RegistryConfig.of("http://127.0.0.1:" + server.getAddress().getPort()), time);
            assertThat(flaky.schemaById(1)).isEqualTo(Schema.create(Schema.Type.STRING));
            assertThat(calls).hasValue(3);
            assertThat(time.sleeps()).as("backing off in virtual time").containsExactly(Duration.ofMillis(100), Duration.ofMillis(200));

            assertThatThrownBy(() -> flaky.schemaById(2))
                    .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.status()).isEqualTo(404));
            assertThat(calls).as("a 404 is not retried").hasValue(4);

            assertThatThrownBy(() -> flaky.schemaById(3))
                    .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.status()).isEqualTo(500));
            assertThat(calls).as("four attempts in all").hasValue(8);
            assertThat(time.sleeps()).hasSize(5);
        } finally {
            server.stop(0);
        }
    }

    @Test
    void sendsBasicAuthAndKeepsItOutOfToString() throws Exception {
        AtomicReference<String> authorization = new AtomicReference<>();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            authorization.set(exchange.getRequestHeaders().getFirst("Authorization"));
            byte[] body = "{\"schema\":\"\\\"string\\\"\"}".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        try {
            RegistryConfig config = RegistryConfig.of("http://127.0.0.1:" + server.getAddress().getPort())
                    .with(new RegistryConfig.Basic("travel:s3cret"));
            assertThat(new SchemaRegistryClient(config).schemaById(7)).isEqualTo(Schema.create(Schema.Type.STRING));
            assertThat(authorization.get()).isEqualTo("Basic "
                    + Base64.getEncoder().encodeToString("travel:s3cret".getBytes(StandardCharsets.UTF_8)));
            assertThat(config.toString()).doesNotContain("s3cret");
        } finally {
            server.stop(0);
        }
    }

    @Test
    void thePingAsksForASchemaOfItsOwnWhichAKeyScopedToItsSubjectsMayRead() throws Exception {
        // A registry as one with subject-scoped keys answers: the global config is forbidden, the key's schemas are not.
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            boolean own = exchange.getRequestURI().getPath().equals("/schemas/ids/7");
            byte[] body = (own ? "{\"schema\":\"\\\"string\\\"\"}" : "{\"error_code\":40301,\"message\":\"forbidden\"}")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(own ? 200 : 403, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        try {
            SchemaRegistryClient scoped = new SchemaRegistryClient(RegistryConfig.of("http://127.0.0.1:" + server.getAddress().getPort()));
            scoped.ping(7);
            assertThatThrownBy(() -> scoped.ping(8)).isInstanceOf(RegistryException.class).hasMessageContaining("403");
        } finally {
            server.stop(0);
        }
    }
}
