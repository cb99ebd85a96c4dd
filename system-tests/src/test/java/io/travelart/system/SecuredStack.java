package io.travelart.system;

import io.travelart.core.config.KafkaConfig;
import io.travelart.core.config.Settings;
import io.travelart.devstack.DevStack;
import io.travelart.devstack.Stack;
import io.travelart.devstack.kafka.EmbeddedKafka;
import io.travelart.devstack.openai.OpenAiSimulator;
import io.travelart.devstack.openai.SimulatorSettings;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A stack whose broker is secured as a managed cluster is: TLS with a certificate made here by {@code keytool} (the
 * JDK's), SASL (SCRAM-SHA-512 users, and a PLAIN one), and Kafka's standard authorizer, which refuses whatever no ACL
 * allows. The registry and the OpenAI simulator are the embedded ones. Clients get the settings of one principal each
 * ({@link #settings}); the ACLs are those of the Permissions table in docs/security.md ({@link #permissions}).
 */
final class SecuredStack implements Stack {

    /** A user of the cluster: its name (the principal {@code User:<name>}), its SASL mechanism and password. */
    record Principal(String name, String mechanism, String password) {
    }

    static final Principal ADMIN = new Principal("admin", "SCRAM-SHA-512", "admin-secret");
    static final Principal PROMPT_WORKER = new Principal("prompt-worker", "SCRAM-SHA-512", "prompt-secret");
    static final Principal IMAGE_WORKER = new Principal("image-worker", "SCRAM-SHA-512", "image-secret");
    static final Principal WEBHOOK_WORKER = new Principal("webhook-worker", "SCRAM-SHA-512", "webhook-secret");
    static final Principal API = new Principal("api", "SCRAM-SHA-512", "api-secret");
    static final Principal CLI = new Principal("travelart-cli", "SCRAM-SHA-512", "cli-secret");
    static final Principal GALLERY = new Principal("gallery", "PLAIN", "gallery-secret");
    /** An AWS access key the broker takes for Amazon MSK's IAM login, as the prompt-worker's principal. */
    static final EmbeddedKafka.IamKey IAM_KEY = new EmbeddedKafka.IamKey("AKIATRAVELARTTEST01", "travelart/iam+secret=key",
            PROMPT_WORKER.name());
    /** The subject of the client certificate: on the mTLS listener the principal is {@code User:CN=<it>}. */
    static final String MTLS_CLIENT = "travelart-mtls";

    private static final String STORE_PASSWORD = "store-secret";
    private static final Path DOC = Path.of("..", "docs", "security.md");
    private static final Pattern ROW = Pattern.compile("^\\| ([\\w-]+) \\| (topic|group|transactional-id) \\| ([\\w.-]+) \\| (literal|prefixed) \\| ([A-Z_, ]+) \\|",
            Pattern.MULTILINE);

    /** How long the registry's tokens are valid: short, so that a worker asks for new ones while a test runs. */
    static final Duration REGISTRY_TOKEN_LIFETIME = Duration.ofSeconds(6);

    /** The broker, the registry and the simulator: the embedded stack, on the secured broker. */
    private final DevStack<EmbeddedKafka> stack;
    /** The registry as the clients reach it: over TLS with a client certificate, and with credentials. */
    private final RegistryGate registry;
    private final Path trustStore;
    private final String cliRegistryToken;

    private SecuredStack(DevStack<EmbeddedKafka> stack, RegistryGate registry, Path trustStore) {
        this.stack = stack;
        this.registry = registry;
        this.trustStore = trustStore;
        this.cliRegistryToken = registry.staticToken();
    }

    static SecuredStack start(Path dir) throws IOException, InterruptedException {
        return start(dir, Optional.empty());
    }

    /** @param oauthJwks where the broker finds the keys of OAUTHBEARER tokens; empty: no OAUTHBEARER */
    static SecuredStack start(Path dir, Optional<String> oauthJwks) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        // A CA of the test's own, which signs the broker's certificate and a client's (mTLS); the trust store holds the CA.
        Path ca = dir.resolve("ca.p12");
        Path caCertificate = dir.resolve("ca.pem");
        keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=travelart-test-ca",
                "-ext", "bc:c", "-validity", "2", "-storetype", "PKCS12", "-keystore", ca.toString(), "-storepass", STORE_PASSWORD,
                "-keypass", STORE_PASSWORD);
        keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", ca.toString(), "-storepass", STORE_PASSWORD, "-file",
                caCertificate.toString());
        Path trustStore = dir.resolve("truststore.p12");
        keytool("-importcert", "-noprompt", "-alias", "ca", "-file", caCertificate.toString(), "-storetype", "PKCS12",
                "-keystore", trustStore.toString(), "-storepass", STORE_PASSWORD);
        Path keyStore = signed(dir, ca, caCertificate, "broker", "CN=127.0.0.1", "SAN=ip:127.0.0.1,dns:localhost");
        signed(dir, ca, caCertificate, "client", "CN=" + MTLS_CLIENT, null);
        Path registryStore = signed(dir, ca, caCertificate, "registry", "CN=127.0.0.1", "SAN=ip:127.0.0.1,dns:localhost");
        Map<String, String> scram = new LinkedHashMap<>();
        for (Principal p : List.of(ADMIN, PROMPT_WORKER, IMAGE_WORKER, WEBHOOK_WORKER, API, CLI)) {
            scram.put(p.name(), p.password());
        }
        EmbeddedKafka kafka = EmbeddedKafka.startSecured(dir.resolve("kafka"), new EmbeddedKafka.Secured(keyStore, trustStore,
                STORE_PASSWORD, scram, Map.of(GALLERY.name(), GALLERY.password()), ADMIN.name(), oauthJwks, List.of(IAM_KEY)));
        DevStack<EmbeddedKafka> stack = DevStack.on(kafka, dir.resolve("registry.log"), Optional.of(SimulatorSettings.instant()));
        try {
            return new SecuredStack(stack, new RegistryGate(stack.registryUrl(), registryStore, trustStore, STORE_PASSWORD,
                    REGISTRY_TOKEN_LIFETIME), trustStore);
        } catch (Exception e) {
            stack.close();
            throw new IllegalStateException("the registry's gate did not start", e);
        }
    }

    /** A key store (PKCS12) with a key pair whose certificate the CA signed, and the CA's certificate for the chain. */
    private static Path signed(Path dir, Path ca, Path caCertificate, String name, String subject, String san)
            throws IOException, InterruptedException {
        Path store = dir.resolve(name + ".p12");
        Path request = dir.resolve(name + ".csr");
        Path certificate = dir.resolve(name + ".pem");
        keytool("-genkeypair", "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1", "-dname", subject, "-validity", "2",
                "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", STORE_PASSWORD, "-keypass", STORE_PASSWORD);
        keytool("-certreq", "-alias", name, "-keystore", store.toString(), "-storepass", STORE_PASSWORD, "-file", request.toString());
        List<String> sign = new ArrayList<>(List.of("-gencert", "-rfc", "-alias", "ca", "-keystore", ca.toString(), "-storepass",
                STORE_PASSWORD, "-infile", request.toString(), "-outfile", certificate.toString(), "-validity", "2"));
        if (san != null) {
            sign.addAll(List.of("-ext", san));
        }
        keytool(sign.toArray(String[]::new));
        keytool("-importcert", "-noprompt", "-alias", "ca", "-file", caCertificate.toString(), "-keystore", store.toString(),
                "-storepass", STORE_PASSWORD);
        keytool("-importcert", "-alias", name, "-file", certificate.toString(), "-keystore", store.toString(), "-storepass",
                STORE_PASSWORD);
        return store;
    }

    private static void keytool(String... arguments) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException("keytool " + arguments[0] + " failed: " + output);
        }
    }

    /**
     * A client's settings as a deployment gives them: for Kafka SASL_SSL, the principal's mechanism and JAAS text, the
     * trust store; for the registry ({@link #registrySettings}) the same trust store, the client certificate, and
     * credentials.
     */
    Map<String, String> settings(Principal principal) {
        String module = principal.mechanism().equals("PLAIN") ? "org.apache.kafka.common.security.plain.PlainLoginModule"
                : "org.apache.kafka.common.security.scram.ScramLoginModule";
        Map<String, String> env = new LinkedHashMap<>();
        env.put("KAFKA_SECURITY_PROTOCOL", "SASL_SSL");
        env.put("KAFKA_SASL_MECHANISM", principal.mechanism());
        env.put("KAFKA_SASL_JAAS_CONFIG", module + " required username=\"" + principal.name() + "\" password=\"" + principal.password() + "\";");
        env.put("KAFKA_SSL_TRUSTSTORE_TYPE", "PKCS12");
        env.put("KAFKA_SSL_TRUSTSTORE_LOCATION", trustStore.toAbsolutePath().toString());
        env.put("KAFKA_SSL_TRUSTSTORE_PASSWORD", STORE_PASSWORD);
        env.putAll(registrySettings(principal));
        return env;
    }

    /**
     * The registry's settings of a principal: each kind of credentials is in use: the workers log in with OAuth client
     * credentials (their own client each), the CLI with a static API token, the gallery with Basic (and the CA as a PEM
     * file); all of them over TLS that trusts the test's CA, with the client certificate the gate asks for.
     */
    Map<String, String> registrySettings(Principal principal) {
        Map<String, String> env = new LinkedHashMap<>(registryTls());
        // Blank what another client's settings beneath these may have set: one kind of credentials each.
        for (String name : List.of("SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO", "SCHEMA_REGISTRY_BEARER_AUTH_TOKEN",
                "SCHEMA_REGISTRY_BEARER_AUTH_ISSUER_ENDPOINT_URL", "SCHEMA_REGISTRY_BEARER_AUTH_CLIENT_ID",
                "SCHEMA_REGISTRY_BEARER_AUTH_CLIENT_SECRET")) {
            env.put(name, "");
        }
        if (principal.equals(PROMPT_WORKER) || principal.equals(IMAGE_WORKER) || principal.equals(WEBHOOK_WORKER) || principal.equals(API)) {
            RegistryGate.Client client = registry.client(principal.name());
            env.put("SCHEMA_REGISTRY_BEARER_AUTH_ISSUER_ENDPOINT_URL", registry.tokenUrl());
            env.put("SCHEMA_REGISTRY_BEARER_AUTH_CLIENT_ID", client.id());
            env.put("SCHEMA_REGISTRY_BEARER_AUTH_CLIENT_SECRET", client.secret());
        } else if (principal.equals(GALLERY)) {
            env.put("SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO", registry.basicUser(principal.name()));
            // The CA as a PEM file, as providers hand it out, instead of a trust store.
            env.remove("SCHEMA_REGISTRY_SSL_TRUSTSTORE_PASSWORD");
            env.put("SCHEMA_REGISTRY_SSL_TRUSTSTORE_LOCATION", trustStore.resolveSibling("ca.pem").toAbsolutePath().toString());
            env.put("SCHEMA_REGISTRY_SSL_TRUSTSTORE_TYPE", "PEM");
        } else {
            env.put("SCHEMA_REGISTRY_BEARER_AUTH_TOKEN", cliRegistryToken);
        }
        return env;
    }

    /** TLS towards the registry's gate: the CA as trust, the client certificate as the login to the connection. */
    Map<String, String> registryTls() {
        return Map.of("SCHEMA_REGISTRY_SSL_TRUSTSTORE_LOCATION", trustStore.toAbsolutePath().toString(),
                "SCHEMA_REGISTRY_SSL_TRUSTSTORE_PASSWORD", STORE_PASSWORD,
                "SCHEMA_REGISTRY_SSL_KEYSTORE_LOCATION", trustStore.resolveSibling("client.p12").toAbsolutePath().toString(),
                "SCHEMA_REGISTRY_SSL_KEYSTORE_PASSWORD", STORE_PASSWORD);
    }

    RegistryGate registry() {
        return registry;
    }

    /**
     * A client of the mutual-TLS listener: its certificate is its login ({@code withCertificate}), or it has none, which
     * the broker refuses at the handshake.
     */
    KafkaConfig mutualTls(boolean withCertificate) {
        Map<String, String> env = new LinkedHashMap<>(Stack.super.environment());
        env.put("KAFKA_BOOTSTRAP_SERVERS", stack.kafka().mutualTlsBootstrapServers());
        env.put("KAFKA_SECURITY_PROTOCOL", "SSL");
        env.put("KAFKA_SSL_TRUSTSTORE_TYPE", "PKCS12");
        env.put("KAFKA_SSL_TRUSTSTORE_LOCATION", trustStore.toAbsolutePath().toString());
        env.put("KAFKA_SSL_TRUSTSTORE_PASSWORD", STORE_PASSWORD);
        if (withCertificate) {
            env.put("KAFKA_SSL_KEYSTORE_TYPE", "PKCS12");
            env.put("KAFKA_SSL_KEYSTORE_LOCATION", trustStore.resolveSibling("client.p12").toAbsolutePath().toString());
            env.put("KAFKA_SSL_KEYSTORE_PASSWORD", STORE_PASSWORD);
            env.put("KAFKA_SSL_KEY_PASSWORD", STORE_PASSWORD);
        }
        return KafkaConfig.from(Settings.of(env));
    }

    /** Over SASL_SSL with OAUTHBEARER: a token from the endpoint for the client id and secret, plus the given settings. */
    KafkaConfig oauth(String tokenEndpoint, String clientId, String clientSecret, Map<String, String> more) {
        Map<String, String> env = new LinkedHashMap<>(Stack.super.environment());
        env.putAll(settings(CLI));
        env.put("KAFKA_SASL_MECHANISM", "OAUTHBEARER");
        env.put("KAFKA_SASL_JAAS_CONFIG", "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required clientId=\""
                + clientId + "\" clientSecret=\"" + clientSecret + "\";");
        env.put("KAFKA_SASL_LOGIN_CALLBACK_HANDLER_CLASS", "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler");
        env.put("KAFKA_SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL", tokenEndpoint);
        env.putAll(more);
        return KafkaConfig.from(Settings.of(env));
    }

    KafkaConfig kafkaAs(Principal principal) {
        Map<String, String> env = new LinkedHashMap<>(Stack.super.environment());
        env.putAll(settings(principal));
        return KafkaConfig.from(Settings.of(env));
    }

    /** The ACLs of the Permissions table in docs/security.md, one binding per principal, resource and operation. */
    static List<AclBinding> permissions() {
        String doc;
        try {
            doc = Files.readString(DOC, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<AclBinding> bindings = new ArrayList<>();
        Matcher row = ROW.matcher(doc);
        while (row.find()) {
            ResourceType type = switch (row.group(2)) {
                case "topic" -> ResourceType.TOPIC;
                case "group" -> ResourceType.GROUP;
                default -> ResourceType.TRANSACTIONAL_ID;
            };
            PatternType pattern = PatternType.valueOf(row.group(4).toUpperCase(Locale.ROOT));
            for (String operation : row.group(5).split(",")) {
                bindings.add(new AclBinding(new ResourcePattern(type, row.group(3), pattern),
                        new AccessControlEntry("User:" + row.group(1), "*", AclOperation.valueOf(operation.strip()), AclPermissionType.ALLOW)));
            }
        }
        return bindings;
    }

    void grant(Collection<AclBinding> bindings) {
        asAdmin("granting ACLs", admin -> admin.createAcls(bindings).all());
    }

    void revoke(AclBinding binding) {
        asAdmin("revoking an ACL", admin -> admin.deleteAcls(List.of(binding.toFilter())).all());
    }

    /** How many ACLs the cluster holds. */
    int aclCount() {
        return asAdmin("listing ACLs", admin -> admin.describeAcls(AclBindingFilter.ANY).values()).size();
    }

    /** One request of the broker's super user, waited for (30 s at most). */
    private <T> T asAdmin(String what, Function<Admin, KafkaFuture<T>> request) {
        try (Admin admin = Admin.create(kafkaAs(ADMIN).with(Map.of()))) {
            return request.apply(admin).get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException(what + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String bootstrapServers() {
        return stack.bootstrapServers();
    }

    /** The registry through its gate: TLS with a client certificate, and credentials. */
    @Override
    public String registryUrl() {
        return registry.url();
    }

    @Override
    public Optional<OpenAiSimulator> simulator() {
        return stack.simulator();
    }

    /** What the CLI's principal uses: the pipeline's own clients (topic setup, publisher) run as {@code travelart-cli}. */
    @Override
    public Map<String, String> environment() {
        Map<String, String> env = new LinkedHashMap<>(Stack.super.environment());
        env.putAll(settings(CLI));
        return env;
    }

    @Override
    public void close() {
        registry.close();
        stack.close();
    }
}
