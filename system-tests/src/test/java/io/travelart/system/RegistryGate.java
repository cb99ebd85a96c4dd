package io.travelart.system;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The dev registry as a managed one is reached: behind TLS that wants a client certificate signed by the test's CA,
 * and that lets a call through only with credentials it knows: a bearer token its identity provider issued and that has
 * not expired, a static API token, or Basic. Written here (a reverse proxy on the JDK's HTTPS server, the identity
 * provider on its HTTP server) because the registries with authentication built in (Confluent's RBAC, Apicurio with
 * Keycloak) are not available on these machines; what it checks is what they check at the door: the TLS handshake with
 * the client's certificate, and the {@code Authorization} header of every call.
 */
final class RegistryGate implements AutoCloseable {

    /** A client of the identity provider: its id and secret. */
    record Client(String id, String secret) {
    }

    private final HttpsServer proxy;
    private final HttpServer provider;
    private final HttpClient upstream = HttpClient.newHttpClient();
    private final URI registry;
    private final Duration tokenLifetime;
    private final Map<String, Client> clients = new ConcurrentHashMap<>();
    private final Set<String> staticTokens = ConcurrentHashMap.newKeySet();
    private final Set<String> basic = ConcurrentHashMap.newKeySet();
    /** Issued tokens: whose, and until when. */
    private final Map<String, Issued> tokens = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> issuedTo = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> passedFor = new ConcurrentHashMap<>();
    private final AtomicInteger refused = new AtomicInteger();
    private final AtomicInteger expiredRefused = new AtomicInteger();

    private record Issued(String client, Instant until) {
    }

    /**
     * @param registryUrl   the registry behind the gate, e.g. Apicurio's {@code http://127.0.0.1:p/apis/ccompat/v7}
     * @param keyStore      the gate's certificate (PKCS12), issued for 127.0.0.1
     * @param trustStore    the CA a client certificate must be signed by
     * @param tokenLifetime {@code expires_in} of the tokens issued
     */
    RegistryGate(String registryUrl, Path keyStore, Path trustStore, String storePassword, Duration tokenLifetime) throws Exception {
        this.registry = URI.create(registryUrl);
        this.tokenLifetime = tokenLifetime;
        SSLContext tls = SSLContext.getInstance("TLS");
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(load(keyStore, storePassword), storePassword.toCharArray());
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(load(trustStore, storePassword));
        tls.init(keys.getKeyManagers(), trust.getTrustManagers(), null);
        proxy = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        proxy.setHttpsConfigurator(new HttpsConfigurator(tls) {
            @Override
            public void configure(HttpsParameters params) {
                SSLParameters parameters = getSSLContext().getDefaultSSLParameters();
                parameters.setNeedClientAuth(true);
                params.setSSLParameters(parameters);
            }
        });
        proxy.createContext("/", this::forward);
        proxy.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        proxy.start();
        provider = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        provider.createContext("/token", this::token);
        provider.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        provider.start();
    }

    private static KeyStore load(Path file, String password) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(file)) {
            store.load(in, password.toCharArray());
        }
        return store;
    }

    /** The registry's URL through the gate: the same path, over TLS. */
    String url() {
        return "https://127.0.0.1:" + proxy.getAddress().getPort() + registry.getPath();
    }

    String tokenUrl() {
        return "http://127.0.0.1:" + provider.getAddress().getPort() + "/token";
    }

    Client client(String id) {
        return clients.computeIfAbsent(id, i -> new Client(i, i + "-registry-" + UUID.randomUUID()));
    }

    /** A long-lived API token, as a registry's console hands out. */
    String staticToken() {
        String token = "api-" + UUID.randomUUID();
        staticTokens.add(token);
        return token;
    }

    /** A {@code user:password} the gate takes as Basic. */
    String basicUser(String user) {
        String info = user + ":" + UUID.randomUUID();
        basic.add(info);
        return info;
    }

    int tokensIssuedTo(String clientId) {
        return issuedTo.getOrDefault(clientId, new AtomicInteger()).get();
    }

    /** Calls let through with a token of this client. */
    int passedFor(String clientId) {
        return passedFor.getOrDefault(clientId, new AtomicInteger()).get();
    }

    /** Calls refused for their credentials (none, unknown, expired). */
    int refused() {
        return refused.get();
    }

    /** Of those, the ones with a token the gate issued that had expired. */
    int refusedExpired() {
        return expiredRefused.get();
    }

    /** Client credentials in Basic (RFC 6749 2.3.1), a bearer token of {@code tokenLifetime} back. */
    private void token(HttpExchange exchange) throws IOException {
        String form = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        Client client = basicCredentials(exchange).flatMap(pair -> clients.values().stream()
                .filter(c -> pair.equals(c.id() + ":" + c.secret())).findFirst()).orElse(null);
        if (client == null || !form.contains("grant_type=client_credentials")) {
            answer(exchange, 401, "application/json", "{\"error\":\"invalid_client\"}".getBytes(StandardCharsets.UTF_8));
            return;
        }
        String token = UUID.randomUUID().toString();
        tokens.put(token, new Issued(client.id(), Instant.now().plus(tokenLifetime)));
        issuedTo.computeIfAbsent(client.id(), c -> new AtomicInteger()).incrementAndGet();
        answer(exchange, 200, "application/json", ("{\"access_token\":\"" + token + "\",\"token_type\":\"Bearer\",\"expires_in\":"
                + tokenLifetime.toSeconds() + "}").getBytes(StandardCharsets.UTF_8));
    }

    private static java.util.Optional<String> basicCredentials(HttpExchange exchange) {
        String header = exchange.getRequestHeaders().getFirst("Authorization");
        if (header == null || !header.startsWith("Basic ")) {
            return java.util.Optional.empty();
        }
        String pair = new String(Base64.getDecoder().decode(header.substring(6)), StandardCharsets.UTF_8);
        return java.util.Optional.of(java.net.URLDecoder.decode(pair, StandardCharsets.UTF_8));
    }

    private void forward(HttpExchange exchange) throws IOException {
        String header = exchange.getRequestHeaders().getFirst("Authorization");
        String who = null;
        if (header != null && header.startsWith("Bearer ")) {
            String token = header.substring(7);
            Issued issued = tokens.get(token);
            if (issued != null && Instant.now().isBefore(issued.until())) {
                who = issued.client();
            } else if (issued != null) {
                expiredRefused.incrementAndGet();
            } else if (staticTokens.contains(token)) {
                who = "static";
            }
        } else if (header != null && header.startsWith("Basic ")) {
            who = basicCredentials(exchange).filter(basic::contains).map(info -> "basic").orElse(null);
        }
        if (who == null) {
            refused.incrementAndGet();
            exchange.getRequestBody().readAllBytes();
            answer(exchange, 401, "application/json", "{\"error_code\":40101,\"message\":\"Unauthorized\"}".getBytes(StandardCharsets.UTF_8));
            return;
        }
        passedFor.computeIfAbsent(who, c -> new AtomicInteger()).incrementAndGet();
        URI target = registry.resolve(exchange.getRequestURI().getRawPath()
                + (exchange.getRequestURI().getRawQuery() == null ? "" : "?" + exchange.getRequestURI().getRawQuery()));
        byte[] body = exchange.getRequestBody().readAllBytes();
        HttpRequest.Builder request = HttpRequest.newBuilder(target).timeout(Duration.ofSeconds(30))
                .method(exchange.getRequestMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        for (String name : new String[] {"Content-Type", "Accept"}) {
            String value = exchange.getRequestHeaders().getFirst(name);
            if (value != null) {
                request.header(name, value);
            }
        }
        try {
            HttpResponse<byte[]> response = upstream.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            answer(exchange, response.statusCode(), response.headers().firstValue("Content-Type").orElse("application/json"),
                    response.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            answer(exchange, 502, "application/json", "{\"message\":\"interrupted\"}".getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            answer(exchange, 502, "application/json", ("{\"message\":\"registry unreachable\"}").getBytes(StandardCharsets.UTF_8));
        }
    }

    private static void answer(HttpExchange exchange, int status, String type, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    @Override
    public void close() {
        proxy.stop(0);
        provider.stop(0);
    }
}
