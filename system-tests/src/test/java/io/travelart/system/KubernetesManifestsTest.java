package io.travelart.system;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.travelart.cli.DevCommand;
import io.travelart.cli.TravelartCli;
import io.travelart.core.config.Settings;
import io.travelart.core.config.Topics;
import io.travelart.core.config.WorkerConfig;
import io.travelart.core.worker.ManagementServer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * deploy/kubernetes checked against the code, as ComposeFileTest checks the compose file: every manifest parsed strictly
 * into Kubernetes' own types (fabric8's model, an unknown field fails), every setting one the worker reads and accepts,
 * the probes and ports what the workers serve, the instance id the pod's name, and KEDA's triggers the workers' consumer
 * groups, topics and max-in-flight. No cluster is needed: this reads the files, and applies the overlay's patch as
 * kustomize would (a strategic merge of a ConfigMap's data, the only kind of patch the overlay uses).
 */
class KubernetesManifestsTest {

    private static final Path BASE = Path.of("..", "deploy", "kubernetes", "base");
    private static final Path OVERLAY = Path.of("..", "deploy", "kubernetes", "overlays", "simulator");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private static final Pattern PARTITIONS = Pattern.compile("topics create --partitions (\\d+)");

    /** KEDA's ScaledObject (keda.sh/v1alpha1), the fields used here; fabric8 has no model of it. Unknown fields fail. */
    record ScaledObject(String apiVersion, String kind, Map<String, Object> metadata, ScaledObjectSpec spec) {
    }

    record ScaledObjectSpec(ScaleTarget scaleTargetRef, int minReplicaCount, int maxReplicaCount, int pollingInterval,
                            int cooldownPeriod, List<Trigger> triggers) {
    }

    record ScaleTarget(String apiVersion, String kind, String name) {
    }

    record Trigger(String type, Map<String, String> metadata, Reference authenticationRef) {
    }

    record Reference(String name) {
    }

    /** KEDA's TriggerAuthentication (keda.sh/v1alpha1): where a scaler's credentials come from. Unknown fields fail. */
    record TriggerAuthentication(String apiVersion, String kind, Map<String, Object> metadata, TriggerAuthenticationSpec spec) {
    }

    record TriggerAuthenticationSpec(List<SecretTarget> secretTargetRef) {
    }

    record SecretTarget(String parameter, String name, String key) {
    }

    /** The Prometheus Operator's ServiceMonitor (monitoring.coreos.com/v1), the fields used here. Unknown fields fail. */
    record ServiceMonitor(String apiVersion, String kind, Map<String, Object> metadata, ServiceMonitorSpec spec) {
    }

    record ServiceMonitorSpec(Selector selector, List<Endpoint> endpoints) {
    }

    record Selector(Map<String, String> matchLabels, List<Expression> matchExpressions) {
    }

    record Expression(String key, String operator, List<String> values) {
    }

    record Endpoint(String port, String path, String interval) {
    }

    /** Where each kind goes: Kubernetes' types from fabric8, or the records above. */
    private static final Map<String, Class<?>> TYPES = Map.ofEntries(
            Map.entry("v1/ConfigMap", ConfigMap.class),
            Map.entry("v1/Secret", Secret.class),
            Map.entry("v1/Service", Service.class),
            Map.entry("apps/v1/StatefulSet", StatefulSet.class),
            Map.entry("apps/v1/Deployment", Deployment.class),
            Map.entry("policy/v1/PodDisruptionBudget", PodDisruptionBudget.class),
            Map.entry("batch/v1/Job", Job.class),
            Map.entry("monitoring.coreos.com/v1/ServiceMonitor", ServiceMonitor.class),
            Map.entry("keda.sh/v1alpha1/ScaledObject", ScaledObject.class),
            Map.entry("keda.sh/v1alpha1/TriggerAuthentication", TriggerAuthentication.class),
            Map.entry("networking.k8s.io/v1/NetworkPolicy", NetworkPolicy.class));

    /** The resources of a kustomization, by kind and name, strictly parsed; the overlay's with its patches applied. */
    private static Map<String, Object> build(Path kustomization) throws IOException {
        Map<String, Object> parsed = new LinkedHashMap<>();
        raw(kustomization).forEach((key, document) -> parsed.put(key, strict(document, key)));
        return parsed;
    }

    /** The documents of a kustomization as kustomize would emit them (bases included, patches applied). */
    private static Map<String, JsonNode> raw(Path kustomization) throws IOException {
        JsonNode k = YAML.readTree(kustomization.resolve("kustomization.yaml").toFile());
        assertThat(k.path("kind").asText()).isEqualTo("Kustomization");
        Map<String, JsonNode> raw = new LinkedHashMap<>();
        for (JsonNode resource : k.path("resources")) {
            Path path = kustomization.resolve(resource.asText()).normalize();
            if (Files.isDirectory(path)) {
                raw.putAll(raw(path));
            } else {
                for (JsonNode document : documents(path)) {
                    String key = key(document);
                    assertThat(raw).as("%s defined twice", key).doesNotContainKey(key);
                    raw.put(key, document);
                }
            }
        }
        for (JsonNode patch : k.path("patches")) {
            JsonNode document = documents(kustomization.resolve(patch.path("path").asText())).get(0);
            String key = key(document);
            assertThat(key).as("the overlay patches ConfigMaps only").startsWith("v1/ConfigMap/");
            assertThat(raw).as("%s patches nothing", key).containsKey(key);
            ((ObjectNode) raw.get(key).path("data")).setAll((ObjectNode) document.path("data"));
        }
        return raw;
    }

    private static List<JsonNode> documents(Path file) throws IOException {
        List<JsonNode> documents = new ArrayList<>();
        try (YAMLParser parser = new YAMLFactory().createParser(file.toFile())) {
            parser.setCodec(YAML);
            var it = YAML.readValues(parser, JsonNode.class);
            while (it.hasNext()) {
                JsonNode document = it.next();
                if (document != null && !document.isEmpty()) {
                    documents.add(document);
                }
            }
        }
        return documents;
    }

    private static String key(JsonNode document) {
        return document.path("apiVersion").asText() + "/" + document.path("kind").asText() + "/" + document.path("metadata").path("name").asText();
    }

    /** Parses into the kind's type; an unknown field anywhere fails (fabric8 keeps them aside: those must be empty). */
    static Object strict(JsonNode document, String where) {
        String type = document.path("apiVersion").asText() + "/" + document.path("kind").asText();
        Class<?> target = TYPES.get(type);
        assertThat(target).as("%s: a kind this test knows (%s)", where, TYPES.keySet()).isNotNull();
        Object parsed;
        try {
            parsed = YAML.treeToValue(document, target);
        } catch (IOException e) {
            throw new AssertionError(where + ": " + e.getMessage(), e);
        }
        List<String> unknown = new ArrayList<>();
        unknownFields(parsed, where, unknown);
        assertThat(unknown).as("fields Kubernetes does not know").isEmpty();
        return parsed;
    }

    private static void unknownFields(Object value, String path, List<String> unknown) {
        if (value == null) {
            return;
        }
        if (value instanceof Map<?, ?> map) {
            map.forEach((k, v) -> unknownFields(v, path + "." + k, unknown));
            return;
        }
        if (value instanceof Collection<?> list) {
            int i = 0;
            for (Object item : list) {
                unknownFields(item, path + "[" + i++ + "]", unknown);
            }
            return;
        }
        if (!value.getClass().getName().startsWith("io.fabric8.")) {
            return;
        }
        for (Method getter : value.getClass().getMethods()) {
            if (getter.getParameterCount() != 0 || Modifier.isStatic(getter.getModifiers()) || getter.getDeclaringClass() == Object.class
                    || !(getter.getName().startsWith("get") || getter.getName().startsWith("is"))) {
                continue;
            }
            try {
                Object child = getter.invoke(value);
                if (getter.getName().equals("getAdditionalProperties")) {
                    if (child instanceof Map<?, ?> extra && !extra.isEmpty()) {
                        unknown.add(path + ": " + extra.keySet());
                    }
                } else {
                    unknownFields(child, path + "." + getter.getName().replaceFirst("^(get|is)", ""), unknown);
                }
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static <T> T get(Map<String, Object> resources, String apiVersionKind, String name, Class<T> type) {
        Object resource = resources.get(apiVersionKind + "/" + name);
        assertThat(resource).as("%s %s", apiVersionKind, name).isInstanceOf(type);
        return (T) resource;
    }

    @Test
    void anUnknownFieldFailsTheParse() throws IOException {
        JsonNode typo = YAML.readTree("""
                apiVersion: apps/v1
                kind: StatefulSet
                metadata: {name: x}
                spec:
                  serviceName: x
                  selector: {matchLabels: {a: b}}
                  template:
                    metadata: {labels: {a: b}}
                    spec:
                      containers:
                        - name: x
                          image: x
                          readinesProbe: {httpGet: {path: /health/ready, port: 9400}}
                """);
        assertThatThrownBy(() -> strict(typo, "typo")).hasMessageContaining("readinesProbe");
        JsonNode keda = YAML.readTree("""
                apiVersion: keda.sh/v1alpha1
                kind: ScaledObject
                metadata: {name: x}
                spec: {scaleTargetRef: {name: x}, maxReplicas: 3, triggers: []}
                """);
        assertThatThrownBy(() -> strict(keda, "keda")).hasMessageContaining("maxReplicas");
    }

    @Test
    void theBaseListsEveryManifestBesideItAndEachParsesStrictly() throws IOException {
        Map<String, Object> base = build(BASE);
        Set<String> listed = new java.util.TreeSet<>();
        YAML.readTree(BASE.resolve("kustomization.yaml").toFile()).path("resources").forEach(r -> listed.add(r.asText()));
        try (Stream<Path> files = Files.list(BASE)) {
            assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yaml") && !n.equals("kustomization.yaml")))
                    .containsExactlyInAnyOrderElementsOf(listed);
        }
        assertThat(base.keySet()).contains("apps/v1/StatefulSet/travelart-prompt-worker", "apps/v1/StatefulSet/travelart-image-worker",
                "apps/v1/StatefulSet/travelart-webhook-worker",
                "batch/v1/Job/travelart-setup", "monitoring.coreos.com/v1/ServiceMonitor/travelart-workers");
    }

    @Test
    void eachWorkerReadsEverySettingItIsGivenServesItsProbesAndIsNamedByItsPod() throws IOException {
        Map<String, Object> resources = build(BASE);
        WorkerSettings.WORKERS.keySet().forEach(worker -> {
            StatefulSet set = get(resources, "apps/v1/StatefulSet", "travelart-" + worker, StatefulSet.class);
            Container container = set.getSpec().getTemplate().getSpec().getContainers().get(0);
            Map<String, String> env = environment(resources, container);
            WorkerConfig config = WorkerSettings.readsAll(worker, env);

            // The instance id is the pod's name: stable across restarts, unique per pod.
            EnvVar id = container.getEnv().stream().filter(e -> e.getName().equals("TRAVELART_INSTANCE_ID")).findFirst().orElseThrow();
            assertThat(id.getValueFrom().getFieldRef().getFieldPath()).isEqualTo("metadata.name");
            assertThat(config.instanceId()).isEqualTo(env.get("TRAVELART_INSTANCE_ID"));

            // Probes on the paths and the port the worker serves.
            int port = container.getPorts().stream().filter(p -> "management".equals(p.getName())).findFirst().orElseThrow().getContainerPort();
            assertThat(port).isEqualTo(config.managementPort());
            assertThat(path(container.getLivenessProbe(), container, port)).isEqualTo(ManagementServer.LIVE_PATH);
            assertThat(path(container.getStartupProbe(), container, port)).isEqualTo(ManagementServer.LIVE_PATH);
            assertThat(path(container.getReadinessProbe(), container, port)).isEqualTo(ManagementServer.READY_PATH);
            assertThat(set.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds())
                    .as("the grace period outlasts TRAVELART_DRAIN_GRACE").isGreaterThan(config.drainGrace().toSeconds());

            // Memory: the request holds the measured peak RSS (docs/performance.md: the prompt-worker at most 410 MB, the
            // image-worker at most 723 MB with real-size images, the webhook-worker 204 MB), and the limit leaves the JVM its heap (the image's
            // MaxRAMPercentage of the limit) plus the 200 MB it was measured to need beside it.
            Quantity request = container.getResources().getRequests().get("memory");
            long measuredPeak = switch (worker) {
                case "image-worker" -> 723L;
                case "webhook-worker" -> 204L;
                default -> 410L;
            };
            assertThat(Quantity.getAmountInBytes(request).longValue()).isGreaterThanOrEqualTo(measuredPeak * 1000 * 1000);
            long limit = Quantity.getAmountInBytes(container.getResources().getLimits().get("memory")).longValue();
            assertThat(limit).isGreaterThanOrEqualTo(Quantity.getAmountInBytes(request).longValue());
            if (worker.equals("image-worker")) {
                assertThat(limit * maxRamPercentage(worker) / 100 + 200L * 1024 * 1024).as("heap + 200 MB within the limit")
                        .isLessThanOrEqualTo(limit);
            }

            // The Service, the ServiceMonitor and the PodDisruptionBudget find these pods, and the port by its name.
            Map<String, String> labels = set.getSpec().getTemplate().getMetadata().getLabels();
            Service service = get(resources, "v1/Service", set.getSpec().getServiceName(), Service.class);
            assertThat(labels).containsAllEntriesOf(service.getSpec().getSelector());
            assertThat(service.getSpec().getPorts()).anySatisfy(p -> {
                assertThat(p.getName()).isEqualTo("management");
                assertThat(p.getTargetPort().getStrVal()).isEqualTo("management");
            });
            ServiceMonitor monitor = get(resources, "monitoring.coreos.com/v1/ServiceMonitor", "travelart-workers", ServiceMonitor.class);
            assertThat(monitor.spec().selector().matchExpressions()).anySatisfy(e -> {
                assertThat(service.getMetadata().getLabels()).containsKey(e.key());
                assertThat(e.values()).contains(service.getMetadata().getLabels().get(e.key()));
            });
            assertThat(monitor.spec().endpoints()).anySatisfy(e -> {
                assertThat(e.port()).isEqualTo("management");
                assertThat(e.path()).isEqualTo(ManagementServer.METRICS_PATH);
            });
            PodDisruptionBudget budget = get(resources, "policy/v1/PodDisruptionBudget", "travelart-" + worker, PodDisruptionBudget.class);
            assertThat(labels).containsAllEntriesOf(budget.getSpec().getSelector().getMatchLabels());
        });
    }

    /** The heap share the worker's image gives its JVM ({@code -XX:MaxRAMPercentage} in its Dockerfile). */
    private static long maxRamPercentage(String worker) {
        try {
            Matcher m = Pattern.compile("MaxRAMPercentage=(\\d+)").matcher(Files.readString(Path.of("..", worker, "Dockerfile")));
            assertThat(m.find()).as("%s's Dockerfile sets MaxRAMPercentage", worker).isTrue();
            return Long.parseLong(m.group(1));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void everyPodMeetsTheRestrictedPodSecurityStandardAndGetsNoServiceLinksOrApiToken() throws IOException {
        Map<String, Object> resources = build(BASE);
        List<io.fabric8.kubernetes.api.model.PodSpec> pods = new ArrayList<>();
        WorkerSettings.WORKERS.keySet().forEach(worker ->
                pods.add(get(resources, "apps/v1/StatefulSet", "travelart-" + worker, StatefulSet.class).getSpec().getTemplate().getSpec()));
        pods.add(get(resources, "batch/v1/Job", "travelart-setup", Job.class).getSpec().getTemplate().getSpec());
        pods.add(get(resources, "apps/v1/StatefulSet", "travelart-api", StatefulSet.class).getSpec().getTemplate().getSpec());
        assertThat(pods).hasSize(WorkerSettings.WORKERS.size() + 2).allSatisfy(pod -> {
            // Service links would put KAFKA_PORT and the like beside our KAFKA_* pass-through for a Service named kafka.
            assertThat(pod.getEnableServiceLinks()).isFalse();
            assertThat(pod.getAutomountServiceAccountToken()).as("the workers never call the Kubernetes API").isFalse();
            assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
            assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
            assertThat(pod.getContainers()).allSatisfy(container -> {
                assertThat(container.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
                assertThat(container.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
                assertThat(container.getSecurityContext().getCapabilities().getAdd()).isNullOrEmpty();
            });
        });
    }

    @Test
    void kedaScalesEachStageOnItsOwnGroupsLagUpToThePartitionCount() throws IOException {
        Map<String, Object> resources = build(BASE);
        Job setup = get(resources, "batch/v1/Job", "travelart-setup", Job.class);
        String command = String.join(" ", setup.getSpec().getTemplate().getSpec().getContainers().get(0).getCommand());
        Matcher partitions = PARTITIONS.matcher(command);
        assertThat(partitions.find()).as("the setup Job creates the topics: %s", command).isTrue();
        ConfigMap shared = get(resources, "v1/ConfigMap", "travelart-settings", ConfigMap.class);
        // The webhook-worker's group reads three topics: its lag is the group's over all of them (no topic named).
        Map<String, Optional<String>> inputs = Map.of("prompt-worker", Optional.of(Topics.DEFAULT.keywordRequested()),
                "image-worker", Optional.of(Topics.DEFAULT.promptCreated()), "webhook-worker", Optional.empty());
        assertThat(inputs.keySet()).isEqualTo(WorkerSettings.WORKERS.keySet());
        inputs.forEach((worker, topic) -> {
            ScaledObject scaled = get(resources, "keda.sh/v1alpha1/ScaledObject", "travelart-" + worker, ScaledObject.class);
            assertThat(scaled.spec().scaleTargetRef().kind()).isEqualTo("StatefulSet");
            assertThat(scaled.spec().scaleTargetRef().name()).isEqualTo("travelart-" + worker);
            assertThat(scaled.spec().maxReplicaCount()).as("a pod beyond the partition count would get no partition")
                    .isLessThanOrEqualTo(Integer.parseInt(partitions.group(1)));
            assertThat(scaled.spec().triggers()).singleElement().satisfies(trigger -> {
                assertThat(trigger.type()).isEqualTo("kafka");
                assertThat(trigger.metadata().get("topic")).isEqualTo(topic.orElse(null));
                assertThat(trigger.metadata()).containsEntry("consumerGroup", io.travelart.core.worker.Worker.groupId(worker))
                        .containsEntry("bootstrapServers", shared.getData().get("KAFKA_BOOTSTRAP_SERVERS"))
                        .containsEntry("allowIdleConsumers", "false");
                ConfigMap own = get(resources, "v1/ConfigMap", "travelart-" + worker, ConfigMap.class);
                assertThat(trigger.metadata().get("lagThreshold")).as("one pod per max-in-flight records of lag")
                        .isEqualTo(own.getData().get("TRAVELART_MAX_IN_FLIGHT"));
                // A secured cluster's login comes from a Secret, through a TriggerAuthentication of the base.
                TriggerAuthentication auth = get(resources, "keda.sh/v1alpha1/TriggerAuthentication", trigger.authenticationRef().name(),
                        TriggerAuthentication.class);
                assertThat(auth.spec().secretTargetRef()).extracting(SecretTarget::parameter)
                        .containsExactlyInAnyOrder("sasl", "username", "password", "tls");
            });
        });
    }

    @Test
    void eachWorkerTakesConnectionsOnlyFromMonitoringAndOpensThemOnlyToWhatItCalls() throws IOException {
        Map<String, Object> resources = build(BASE);
        List<NetworkPolicy> policies = resources.values().stream().filter(NetworkPolicy.class::isInstance).map(NetworkPolicy.class::cast).toList();
        WorkerSettings.WORKERS.keySet().forEach(worker -> {
            var labels = get(resources, "apps/v1/StatefulSet", "travelart-" + worker, StatefulSet.class).getSpec().getTemplate()
                    .getMetadata().getLabels();
            List<NetworkPolicy> selecting = policies.stream().filter(p -> labels.entrySet()
                    .containsAll(p.getSpec().getPodSelector().getMatchLabels().entrySet())).toList();
            assertThat(selecting).as("the NetworkPolicies of %s", worker).singleElement().satisfies(policy -> {
                assertThat(policy.getSpec().getPolicyTypes()).containsExactlyInAnyOrder("Ingress", "Egress");
                assertThat(policy.getSpec().getIngress()).singleElement().satisfies(in -> {
                    assertThat(in.getPorts()).singleElement().satisfies(p -> assertThat(p.getPort().getIntVal())
                            .isEqualTo(Integer.parseInt(get(resources, "v1/ConfigMap", "travelart-settings", ConfigMap.class).getData()
                                    .get("TRAVELART_MANAGEMENT_PORT"))));
                    assertThat(in.getFrom()).singleElement().satisfies(peer -> assertThat(peer.getNamespaceSelector().getMatchLabels())
                            .containsEntry("kubernetes.io/metadata.name", "monitoring"));
                });
                assertThat(policy.getSpec().getEgress()).allSatisfy(out -> assertThat(out.getPorts()).isNotEmpty())
                        .flatExtracting(out -> out.getPorts().stream().map(p -> p.getPort().getIntVal()).toList())
                        .as("DNS, Kafka, the registry, HTTPS, and the simulator overlay's simulator (the workers that call a provider) or "
                                + "HTTP (the webhook-worker's endpoints)")
                        .containsOnly(worker.equals("webhook-worker") ? new Integer[]{53, 9092, 9093, 8081, 443, 80}
                                : new Integer[]{53, 9092, 9093, 8081, 443, 8000});
            });
        });
    }

    @Test
    void everyCredentialComesFromASecretAndTheStoreKeyMayBeARole() throws IOException {
        Map<String, Object> resources = build(BASE);
        Set<String> credentials = Set.of("OPENAI_API_KEY", "KAFKA_SASL_JAAS_CONFIG", "SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO",
                "SCHEMA_REGISTRY_BEARER_AUTH_TOKEN", "SCHEMA_REGISTRY_BEARER_AUTH_CLIENT_SECRET", "SCHEMA_REGISTRY_SSL_KEYSTORE_PASSWORD",
                "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "TRAVELART_WEBHOOK_ENDPOINTS", "TRAVELART_WEBHOOK_SECRETS");
        WorkerSettings.WORKERS.keySet().forEach(worker -> {
            Container container = get(resources, "apps/v1/StatefulSet", "travelart-" + worker, StatefulSet.class).getSpec().getTemplate()
                    .getSpec().getContainers().get(0);
            List<EnvVar> secret = container.getEnv().stream().filter(e -> credentials.contains(e.getName())).toList();
            assertThat(secret).extracting(EnvVar::getName).contains("KAFKA_SASL_JAAS_CONFIG",
                    "SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO", "SCHEMA_REGISTRY_BEARER_AUTH_TOKEN", "SCHEMA_REGISTRY_BEARER_AUTH_CLIENT_SECRET")
                    .contains(worker.equals("webhook-worker") ? new String[]{"TRAVELART_WEBHOOK_ENDPOINTS", "TRAVELART_WEBHOOK_SECRETS"}
                            : new String[]{"OPENAI_API_KEY"});
            assertThat(secret).allSatisfy(e -> assertThat(e.getValueFrom().getSecretKeyRef()).as(e.getName()).isNotNull());
            assertThat(secret).filteredOn(e -> e.getName().startsWith("AWS_"))
                    .allSatisfy(e -> assertThat(e.getValueFrom().getSecretKeyRef().getOptional()).as("IRSA: no key, a role").isTrue());
            container.getEnvFrom().forEach(from -> {
                ConfigMap settings = get(resources, "v1/ConfigMap", from.getConfigMapRef().getName(), ConfigMap.class);
                assertThat(settings.getData().keySet()).as("credentials in %s", from.getConfigMapRef().getName()).doesNotContainAnyElementsOf(credentials);
            });
        });
    }

    @Test
    void theSimulatorOverlayPointsBothWorkersAtTheSimulatorService() throws IOException {
        Map<String, Object> resources = build(OVERLAY);
        ConfigMap shared = get(resources, "v1/ConfigMap", "travelart-provider", ConfigMap.class);
        URI simulator = URI.create(shared.getData().get("OPENAI_BASE_URL"));
        Service service = get(resources, "v1/Service", simulator.getHost(), Service.class);
        assertThat(service.getSpec().getPorts()).anySatisfy(p -> assertThat(p.getPort()).isEqualTo(simulator.getPort()));
        Deployment deployment = get(resources, "apps/v1/Deployment", "travelart-simulator", Deployment.class);
        Container container = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
        // The same command line the cli understands: dev simulator with the Service's target port.
        List<String> args = container.getArgs();
        assertThat(args).containsSubsequence("dev", "simulator").contains("--port", "--host", "0.0.0.0");
        int port = Integer.parseInt(args.get(args.indexOf("--port") + 1));
        assertThat(container.getPorts()).anySatisfy(p -> assertThat(p.getContainerPort()).isEqualTo(port));
        assertThat(picocli.CommandLine.populateCommand(new DevCommand.Simulator(), args.subList(2, args.size()).toArray(String[]::new)))
                .isNotNull();
        // No Secret of its own: applied where the real travelart-secrets lives, it must not replace the keys.
        assertThat(resources.keySet()).noneMatch(key -> key.startsWith("v1/Secret/"));
        // Every workload of the base is still there.
        assertThat(resources.keySet()).containsAll(build(BASE).keySet());
    }

    @Test
    void theApiReadsEverySettingItIsGivenTakesRequestsOnItsHttpPortAndCallsOnlyKafkaAndTheRegistry() throws IOException {
        Map<String, Object> resources = build(BASE);
        StatefulSet set = get(resources, "apps/v1/StatefulSet", "travelart-api", StatefulSet.class);
        Container container = set.getSpec().getTemplate().getSpec().getContainers().get(0);
        Map<String, String> env = environment(resources, container);
        // The JVM reads this one, not the API.
        assertThat(env.remove("JAVA_TOOL_OPTIONS")).contains("MaxRAMPercentage");
        List<String> args = container.getArgs();
        assertThat(TravelartCli.commandLine().parseArgs(args.toArray(String[]::new)).subcommand().commandSpec().name()).isEqualTo("api");
        // What travelart api does with its options: they stand for TRAVELART_API_HOST and TRAVELART_API_PORT.
        Settings settings = Settings.of(env).with(Map.of("TRAVELART_API_HOST", args.get(args.indexOf("--host") + 1),
                "TRAVELART_API_PORT", args.get(args.indexOf("--port") + 1)));
        io.travelart.api.ApiConfig config = io.travelart.api.ApiConfig.from(settings);
        assertThat(env.keySet()).allSatisfy(name -> assertThat(settings.namesRead().contains(name)
                || (name.startsWith("KAFKA_") && settings.namesRead().contains("KAFKA_*"))).as("the API reads %s", name).isTrue());
        assertThat(config.keys().size()).isEqualTo(1);
        EnvVar keys = container.getEnv().stream().filter(e -> e.getName().equals("TRAVELART_API_KEYS")).findFirst().orElseThrow();
        assertThat(keys.getValueFrom().getSecretKeyRef().getName()).isEqualTo("travelart-api-keys");
        EnvVar id = container.getEnv().stream().filter(e -> e.getName().equals("TRAVELART_INSTANCE_ID")).findFirst().orElseThrow();
        assertThat(id.getValueFrom().getFieldRef().getFieldPath()).as("a stable id per pod: its transactions' name").isEqualTo("metadata.name");

        Map<String, Integer> ports = new HashMap<>();
        container.getPorts().forEach(p -> ports.put(p.getName(), p.getContainerPort()));
        assertThat(ports).containsEntry("http", config.port()).containsEntry("management", config.managementPort());
        assertThat(path(container.getStartupProbe(), container, config.managementPort())).isEqualTo(ManagementServer.LIVE_PATH);
        assertThat(path(container.getLivenessProbe(), container, config.managementPort())).isEqualTo(ManagementServer.LIVE_PATH);
        assertThat(path(container.getReadinessProbe(), container, config.managementPort())).isEqualTo(ManagementServer.READY_PATH);
        Service service = get(resources, "v1/Service", set.getSpec().getServiceName(), Service.class);
        assertThat(service.getSpec().getPorts()).extracting(p -> p.getTargetPort().getStrVal()).containsExactlyInAnyOrder("http", "management");

        var labels = set.getSpec().getTemplate().getMetadata().getLabels();
        NetworkPolicy policy = resources.values().stream().filter(NetworkPolicy.class::isInstance).map(NetworkPolicy.class::cast)
                .filter(p -> labels.entrySet().containsAll(p.getSpec().getPodSelector().getMatchLabels().entrySet())).findFirst().orElseThrow();
        assertThat(policy.getSpec().getIngress()).flatExtracting(in -> in.getPorts().stream().map(p -> p.getPort().getIntVal()).toList())
                .containsExactlyInAnyOrder(config.port(), config.managementPort());
        assertThat(policy.getSpec().getEgress()).flatExtracting(out -> out.getPorts().stream().map(p -> p.getPort().getIntVal()).toList())
                .as("DNS, Kafka, the registry; nothing else").containsOnly(53, 9092, 9093, 8081);
        ServiceMonitor monitor = get(resources, "monitoring.coreos.com/v1/ServiceMonitor", "travelart-workers", ServiceMonitor.class);
        assertThat(monitor.spec().selector().matchExpressions()).anySatisfy(e -> assertThat(e.values()).contains("travelart-api"));
    }

    /** What a container's environment holds: its ConfigMaps' data, its own values, the pod's name and placeholder secrets. */
    private static Map<String, String> environment(Map<String, Object> resources, Container container) {
        Map<String, String> env = new HashMap<>();
        for (EnvFromSource from : container.getEnvFrom()) {
            ConfigMap map = get(resources, "v1/ConfigMap", from.getConfigMapRef().getName(), ConfigMap.class);
            env.putAll(map.getData());
        }
        for (EnvVar var : container.getEnv()) {
            if (var.getValue() != null) {
                env.put(var.getName(), var.getValue());
            } else if (var.getValueFrom().getFieldRef() != null) {
                env.put(var.getName(), "travelart-worker-0");
            } else {
                // The shared Secret, or the worker's own Kafka login (its principal).
                assertThat(var.getValueFrom().getSecretKeyRef().getName())
                        .matches("travelart-secrets|travelart-webhooks|travelart-api-keys|travelart-kafka-(prompt-worker|image-worker|webhook-worker|api)");
                assertThat(var.getValueFrom().getSecretKeyRef().getKey()).isEqualTo(var.getName());
                if (var.getName().startsWith("SCHEMA_REGISTRY_BEARER_AUTH_") || var.getName().startsWith("SCHEMA_REGISTRY_SSL_")) {
                    // One kind of registry credentials is in the Secret (Basic here), and no client certificate; a key
                    // that is not there leaves its optional variable unset.
                    assertThat(var.getValueFrom().getSecretKeyRef().getOptional()).as(var.getName()).isTrue();
                    continue;
                }
                env.put(var.getName(), switch (var.getName()) {
                    // Shaped as an operator's entries are.
                    case "TRAVELART_WEBHOOK_ENDPOINTS" -> "my-shop=https://shop.example/hooks/travelart";
                    case "TRAVELART_WEBHOOK_SECRETS" -> "my-shop=" + io.travelart.webhook.Endpoints.newSecret();
                    case "TRAVELART_API_KEYS" -> io.travelart.api.ApiKeys.entry("my-shop", io.travelart.api.ApiKeys.newKey());
                    default -> "secret:from-the-cluster"; // user:password shaped, as a registry user is
                });
            }
        }
        return env;
    }

    private static String path(Probe probe, Container container, int port) {
        HTTPGetAction get = probe.getHttpGet();
        assertThat(get.getPort().getStrVal()).as("probes name the management port").isEqualTo("management");
        return get.getPath();
    }
}
