package io.travelart.core.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.travelart.core.config.RegistryConfig;
import io.travelart.core.json.Json;
import io.travelart.core.time.Time;
import org.apache.avro.Schema;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The part of the Confluent Schema Registry REST API that Travelart needs: register, look up by id
 * and by schema, versions, compatibility check and subject config. Works with Confluent's registry
 * and with Apicurio's Confluent-compatible API ({@code /apis/ccompat/v7}). Ids and schemas are
 * immutable in the registry, so both directions are cached for the life of the client. Every call carries the
 * configured credentials ({@link RegistryLogin}) over the registry's own TLS ({@link RegistryTls}).
 */
public final class SchemaRegistryClient implements SchemaIds {

    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final ObjectMapper JSON = Json.mapper();
    private static final int ATTEMPTS = 4;
    private static final Duration BACKOFF = Duration.ofMillis(100);

    private final String baseUrl;
    private final RegistryLogin login;
    private final Map<String, String> headers;
    private final HttpClient http;
    private final Duration timeout;
    private final Time time;
    private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();
    private final Map<String, Map<Schema, Integer>> idsBySubject = new ConcurrentHashMap<>();

    public SchemaRegistryClient(RegistryConfig config) {
        this(config, Time.SYSTEM);
    }

    /** @param time what waits between attempts */
    public SchemaRegistryClient(RegistryConfig config, Time time) {
        this.time = time;
        this.baseUrl = config.url();
        this.timeout = Duration.ofSeconds(10);
        this.login = RegistryLogin.of(config, time, timeout);
        this.headers = config.headers();
        HttpClient.Builder http = HttpClient.newBuilder().connectTimeout(timeout);
        RegistryTls.context(config.tls()).ifPresent(http::sslContext);
        this.http = http.build();
    }

    /** Registers the schema under the subject (or finds it if already there) and returns its global id. */
    @Override
    public int register(String subject, Schema schema) {
        return idOf(subject, schema, "/subjects/" + encode(subject) + "/versions");
    }

    /** The id of a schema already registered under the subject; 404 as a {@link RegistryException} if not. */
    @Override
    public int lookup(String subject, Schema schema) {
        return idOf(subject, schema, "/subjects/" + encode(subject));
    }

    /** Both registering and looking up answer the schema's id; either way it is cached. */
    private int idOf(String subject, Schema schema, String path) {
        Map<Schema, Integer> ids = idsBySubject.computeIfAbsent(subject, s -> new ConcurrentHashMap<>());
        Integer cached = ids.get(schema);
        if (cached != null) {
            return cached;
        }
        // One first call per subject at a time: Apicurio answers concurrent first registrations with 409 or 500.
        synchronized (ids) {
            cached = ids.get(schema);
            if (cached != null) {
                return cached;
            }
            int id = path.endsWith("/versions") ? registerOrFind(subject, schema, path)
                    : send("POST", path, schemaBody(schema)).path("id").asInt();
            ids.put(schema, id);
            schemasById.putIfAbsent(id, schema);
            return id;
        }
    }

    /**
     * Registers; a 409 may be Apicurio's answer to a registration racing another one (of this subject or
     * another), not an incompatible schema: then the schema is looked up, and registering is tried again.
     * A 409 that stays is a real conflict.
     */
    private int registerOrFind(String subject, Schema schema, String path) {
        RegistryException conflict = null;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            try {
                return send("POST", path, schemaBody(schema)).path("id").asInt();
            } catch (RegistryException e) {
                if (e.status() != 409) {
                    throw e;
                }
                conflict = e;
            }
            try {
                return send("POST", "/subjects/" + encode(subject), schemaBody(schema)).path("id").asInt();
            } catch (RegistryException notThere) {
                pause(attempt);
            }
        }
        throw conflict;
    }

    @Override
    public Schema schemaById(int id) {
        Schema cached = schemasById.get(id);
        if (cached != null) {
            return cached;
        }
        JsonNode answer = send("GET", "/schemas/ids/" + id, null);
        Schema schema = new Schema.Parser().parse(answer.path("schema").asText());
        schemasById.putIfAbsent(id, schema);
        return schema;
    }

    public List<Integer> versions(String subject) {
        JsonNode answer = send("GET", "/subjects/" + encode(subject) + "/versions", null);
        List<Integer> versions = new ArrayList<>();
        answer.forEach(v -> versions.add(v.asInt()));
        return versions;
    }

    /** A registered version: its number, global id and schema. */
    public record SubjectVersion(String subject, int version, int id, Schema schema) {
    }

    public SubjectVersion version(String subject, String version) {
        JsonNode answer = send("GET", "/subjects/" + encode(subject) + "/versions/" + encode(version), null);
        return new SubjectVersion(subject, answer.path("version").asInt(), answer.path("id").asInt(),
                new Schema.Parser().parse(answer.path("schema").asText()));
    }

    /** Whether the schema may be registered next under the subject, by the subject's compatibility level. */
    public boolean isCompatible(String subject, Schema schema) {
        JsonNode answer = send("POST", "/compatibility/subjects/" + encode(subject) + "/versions/latest",
                schemaBody(schema));
        return answer.path("is_compatible").asBoolean(false);
    }

    /**
     * Asks the registry once for a schema this program uses, by its id, waiting at most two seconds (a health probe
     * must answer quickly): throws if it does not answer, or answers with an error. A schema of its own, not the global
     * {@code /config}: a key scoped to the program's subjects may read those and nothing else.
     */
    public void ping(int schemaId) {
        sendOnce("GET", "/schemas/ids/" + schemaId, null, Duration.ofSeconds(2));
    }

    /** Sets the subject's compatibility level, e.g. BACKWARD. */
    public void setCompatibility(String subject, String level) {
        ObjectNode body = JSON.createObjectNode().put("compatibility", level);
        send("PUT", "/config/" + encode(subject), body);
    }

    /** The subject's compatibility level. */
    public String compatibility(String subject) {
        JsonNode answer = send("GET", "/config/" + encode(subject), null);
        JsonNode level = answer.has("compatibilityLevel") ? answer.get("compatibilityLevel") : answer.get("compatibility");
        return level == null ? null : level.asText();
    }

    private static ObjectNode schemaBody(Schema schema) {
        return JSON.createObjectNode().put("schema", schema.toString()).put("schemaType", "AVRO");
    }

    private static String encode(String part) {
        return URLEncoder.encode(part, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /**
     * One call, tried up to {@value #ATTEMPTS} times while the registry answers 5xx or cannot be reached:
     * registries have transient failures (Apicurio's in-memory store times out on a table lock when two
     * workers register at the same moment). Other answers are final.
     */
    private JsonNode send(String method, String path, JsonNode body) {
        RegistryException last = null;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            try {
                return sendOnce(method, path, body, timeout);
            } catch (RegistryException e) {
                if (e.status() != 0 && e.status() < 500) {
                    throw e;
                }
                last = e;
            }
            if (attempt < ATTEMPTS) {
                pause(attempt);
            }
        }
        throw last;
    }

    private void pause(int attempt) {
        try {
            time.sleep(BACKOFF.multipliedBy(1L << (attempt - 1)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException("interrupted while calling the schema registry", e);
        }
    }

    /**
     * One call; answered 401 with credentials that can be renewed (an OAuth token), it is sent once more with a new
     * token. A refusal that stays names the credentials it was sent with.
     */
    private JsonNode sendOnce(String method, String path, JsonNode body, Duration timeout) {
        Optional<String> authorization = login.authorization();
        HttpResponse<String> response = exchange(method, path, body, timeout, authorization);
        if (response.statusCode() == 401 && login.refused(authorization)) {
            authorization = login.authorization();
            response = exchange(method, path, body, timeout, authorization);
        }
        JsonNode answer = parse(response.body());
        if (response.statusCode() / 100 != 2) {
            String message = answer.path("message").asText(response.body());
            String refusal = response.statusCode() == 401 ? " (" + login.describe() + ")" : "";
            throw new RegistryException(response.statusCode(), answer.path("error_code").asInt(0),
                    method + " " + path + " answered " + response.statusCode() + ": " + message + refusal);
        }
        return answer;
    }

    private HttpResponse<String> exchange(String method, String path, JsonNode body, Duration timeout, Optional<String> authorization) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + path))
                .timeout(timeout)
                .header("Accept", CONTENT_TYPE + ", application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8));
        if (body != null) {
            request.header("Content-Type", CONTENT_TYPE);
        }
        authorization.ifPresent(value -> request.header("Authorization", value));
        headers.forEach(request::header);
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new RegistryException("schema registry at " + baseUrl + " cannot be reached: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException("interrupted while calling the schema registry", e);
        }
    }

    private static JsonNode parse(String body) {
        if (body == null || body.isBlank()) {
            return JSON.createObjectNode();
        }
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            return JSON.createObjectNode().put("message", body);
        }
    }
}
