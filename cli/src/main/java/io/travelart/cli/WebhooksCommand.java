package io.travelart.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.travelart.cli.records.ReplayPlan;
import io.travelart.events.OriginalHeader;
import io.travelart.events.RequestFailed;
import io.travelart.webhook.DeliveryStage;
import io.travelart.webhook.Endpoints;
import io.travelart.webhook.WebhookTopics;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;

/**
 * The webhook-worker's tools: a new signing secret, the events its endpoints did not acknowledge (webhook-failed), and
 * sending them again (webhook-redeliver, which the worker reads beside image-ready and request-failed).
 */
@Command(name = "webhooks", mixinStandardHelpOptions = true,
        description = "Signed webhooks (the webhook-worker): make a secret, list what was not delivered, deliver it again. See docs/webhooks.md.",
        subcommands = {WebhooksCommand.NewSecret.class, WebhooksCommand.Listen.class, WebhooksCommand.Failed.class,
                WebhooksCommand.Replay.class})
final class WebhooksCommand {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Command(name = "new-secret", mixinStandardHelpOptions = true,
            description = "Prints a new signing secret (whsec_ and 32 random bytes in base64) as the entry TRAVELART_WEBHOOK_SECRETS takes. "
                    + "Give the same secret to the receiver, which checks each delivery's webhook-signature with it.")
    static final class NewSecret implements Callable<Integer> {
        @Parameters(paramLabel = "SOURCE_SYSTEM", description = "The source system whose endpoint it signs for.")
        String source;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            spec.commandLine().getOut().println(source + "=" + Endpoints.newSecret());
            return 0;
        }
    }

    @Command(name = "listen", mixinStandardHelpOptions = true,
            description = {"A webhook receiver for trying things out: takes deliveries on http://HOST:PORT/ until Ctrl-C, checks each one's "
                    + "signature and timestamp, prints a line for it (the body too with --json), and answers 204, or 401 when the "
                    + "signature does not hold.",
                    "The secret comes from --secret or $TRAVELART_WEBHOOK_SECRET (whsec_…, the endpoint's entry in TRAVELART_WEBHOOK_SECRETS)."})
    static final class Listen implements Callable<Integer> {
        @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to listen on. Default: ${DEFAULT-VALUE}.")
        String host;

        @Option(names = "--port", defaultValue = "9000", description = "Port to listen on. Default: ${DEFAULT-VALUE}.")
        int port;

        @Option(names = "--secret", paramLabel = "whsec_…", defaultValue = "${env:TRAVELART_WEBHOOK_SECRET}",
                description = "The endpoint's signing secret. Default: $TRAVELART_WEBHOOK_SECRET.")
        String secret;

        @Option(names = "--json", description = "Print each delivery's body as it came.")
        boolean json;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            if (secret == null || secret.isBlank()) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                        "no secret: give --secret whsec_… or set TRAVELART_WEBHOOK_SECRET ('travelart webhooks new-secret SOURCE' makes one)");
            }
            byte[] key;
            try {
                key = Endpoints.parse("listen=http://" + host + "/", "listen=" + secret).forSource("listen").orElseThrow().secret();
            } catch (io.travelart.core.config.ConfigException e) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                        e.getMessage().replace("TRAVELART_WEBHOOK_SECRETS: the secret of listen", "--secret"));
            }
            PrintWriter out = spec.commandLine().getOut();
            try (UntilStopped stop = UntilStopped.install()) {
                var server = io.travelart.core.http.HttpServers.create("webhooks-listen", host, port, 16);
                server.createContext("/", exchange -> {
                    try (exchange) {
                        byte[] body = exchange.getRequestBody().readNBytes(LISTEN_MAX_BODY + 1);
                        var headers = exchange.getRequestHeaders();
                        java.util.Optional<String> problem = body.length > LISTEN_MAX_BODY ? java.util.Optional.of("body over 1 MiB")
                                : io.travelart.webhook.Signatures.verify(key, headers.getFirst("webhook-id"),
                                headers.getFirst("webhook-timestamp"), headers.getFirst("webhook-signature"), body,
                                java.time.Instant.now().getEpochSecond());
                        synchronized (out) {
                            out.println(line(headers.getFirst("webhook-id"), problem, body));
                            if (json) {
                                out.println(Terminal.safe(new String(body, StandardCharsets.UTF_8)));
                            }
                            out.flush();
                        }
                        exchange.sendResponseHeaders(problem.isEmpty() ? 204 : 401, -1);
                    }
                });
                server.start();
                out.printf("Listening on http://%s:%d/ (Ctrl-C to stop); signatures checked with the secret given%n", host,
                        server.getAddress().getPort());
                out.flush();
                try {
                    stop.await();
                } finally {
                    server.stop(0);
                }
            }
            return 0;
        }

        private static final int LISTEN_MAX_BODY = 1 << 20;

        private static String line(String webhookId, java.util.Optional<String> problem, byte[] body) {
            String what;
            try {
                var payload = JSON.readTree(body);
                var data = payload.path("data");
                what = String.join("  ", payload.path("type").asText("?"), data.path("requestId").asText("?"), data.path("state").asText("?"),
                        data.has("imageUrl") ? data.path("imageUrl").asText() : data.path("stage").asText("") + " " + data.path("errorCode").asText(""));
            } catch (java.io.IOException e) {
                what = "(not JSON, " + body.length + " bytes)";
            }
            return java.time.LocalTime.now().withNano(0) + "  " + (webhookId == null ? "(no webhook-id)" : Terminal.safe(webhookId)) + "  "
                    + problem.map(p -> "signature REFUSED (" + p + ")").orElse("signature ok") + "  " + Terminal.safe(what);
        }
    }

    /** The failures on webhook-failed, narrowed by the options {@code travelart failed} takes (their stage is WEBHOOK). */
    static List<RequestFailed> read(ConnectionOptions connection, CommandSpec spec, FailedCommand.Filters filters) {
        return FailedCommand.read(connection, spec, WebhookTopics.from(connection.settings()).failed(), filters.filter(spec));
    }

    @Command(name = "failed", mixinStandardHelpOptions = true,
            description = "Lists the events a webhook endpoint did not acknowledge within its budget (webhook-failed): request, event, code, "
                    + "attempts, when, and why.")
    static final class Failed implements Callable<Integer> {
        @Mixin
        ConnectionOptions connection;

        @Mixin
        FailedCommand.Filters filters;

        @Option(names = "--json", description = "One JSON object per failure.")
        boolean json;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            List<RequestFailed> failed = read(connection, spec, filters);
            for (RequestFailed f : failed) {
                if (json) {
                    out.println(JSON.writeValueAsString(FailedCommand.summary(f)));
                } else {
                    out.printf("%s  %-13s %-16s %3d attempts  %s  %s%n", f.getRequestId(), Terminal.safe(f.getOriginTopic()),
                            Terminal.safe(f.getErrorCode()), f.getAttempts(), f.getLastFailureAt(), Terminal.safe(f.getMessage()));
                }
            }
            if (!json) {
                out.printf("%d event(s) not delivered%s%n", failed.size(), failed.isEmpty() ? "" : "; 'travelart webhooks replay' sends them again");
            }
            return 0;
        }
    }

    @Command(name = "replay", mixinStandardHelpOptions = true,
            description = {"Sends events that were not delivered again: each selected failure's event record (its bytes and headers) goes "
                    + "to webhook-redeliver, which the webhook-worker delivers like a new one, with the same webhook-id (receivers "
                    + "de-duplicate on it, so replaying an event that did arrive after all does no harm).",
                    "Each event is sent once per run however often it failed."})
    static final class Replay implements Callable<Integer> {
        @Mixin
        ConnectionOptions connection;

        @Mixin
        FailedCommand.Filters filters;

        @Option(names = "--limit", paramLabel = "N", description = "At most N events.")
        Integer limit;

        @Option(names = "--dry-run", description = "Say what would be sent; send nothing.")
        boolean dryRun;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            // One per event (its topic, partition and offset), the latest failure of it.
            Map<String, RequestFailed> events = new LinkedHashMap<>();
            for (RequestFailed f : read(connection, spec, filters)) {
                if (f.getOriginalValue() == null || f.getOriginalTruncated()) {
                    out.printf("%s  left: its failure holds only part of the event; the event is %s-%d@%d%n", f.getRequestId(),
                            Terminal.safe(f.getOriginTopic()), f.getOriginPartition(), f.getOriginOffset());
                    continue;
                }
                String event = f.getOriginTopic() + "-" + f.getOriginPartition() + "@" + f.getOriginOffset();
                events.remove(event); // in the order of their latest failures
                events.put(event, f);
            }
            List<RequestFailed> chosen = events.values().stream().limit(limit == null ? Long.MAX_VALUE : limit).toList();
            String topic = WebhookTopics.from(connection.settings()).redeliver();
            int sent = 0;
            try (var producer = dryRun ? null : new KafkaProducer<>(connection.kafka().with(Map.of(
                    ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true",
                    ProducerConfig.MAX_BLOCK_MS_CONFIG, "15000")), new ByteArraySerializer(), new ByteArraySerializer())) {
                for (RequestFailed f : chosen) {
                    if (!dryRun) {
                        send(producer, topic, f);
                        sent++;
                    }
                    out.printf("%s  %s %s (%s, %s)%n", f.getRequestId(), dryRun ? "would send again" : "sent again", 
                            Terminal.safe(f.getOriginTopic()), Terminal.safe(f.getErrorCode()), Terminal.safe(f.getMessage()));
                }
            }
            out.printf("%d event(s) %s to %s%n", dryRun ? chosen.size() : sent, dryRun ? "would be sent" : "sent", topic);
            return 0;
        }

        private static void send(KafkaProducer<byte[], byte[]> producer, String topic, RequestFailed f) throws InterruptedException {
            RecordHeaders headers = new RecordHeaders();
            for (OriginalHeader h : f.getOriginalHeaders()) {
                if (!DeliveryStage.ORIGIN_TOPIC_HEADER.equals(h.getKey())) {
                    headers.add(h.getKey(), ReplayPlan.bytes(h.getValue()));
                }
            }
            headers.add(DeliveryStage.ORIGIN_TOPIC_HEADER, f.getOriginTopic().getBytes(StandardCharsets.UTF_8));
            try {
                producer.send(new ProducerRecord<>(topic, null, ReplayPlan.bytes(f.getOriginalKey()), ReplayPlan.bytes(f.getOriginalValue()),
                        headers)).get();
            } catch (ExecutionException e) {
                throw new UserFacingException("sending " + f.getRequestId() + " to " + topic + " failed: " + e.getCause().getMessage(),
                        e.getCause());
            }
        }
    }
}
