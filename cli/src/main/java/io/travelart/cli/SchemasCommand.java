package io.travelart.cli;

import io.travelart.core.config.Settings;
import io.travelart.core.config.Topics;
import io.travelart.events.WebhookDelivered;
import io.travelart.webhook.WebhookTopics;
import io.travelart.core.registry.SchemaRegistryClient;
import io.travelart.core.serde.EventSerde;
import io.travelart.events.ImageReady;
import io.travelart.events.KeywordRequested;
import io.travelart.events.PromptCreated;
import io.travelart.events.RequestCancelled;
import io.travelart.events.RequestFailed;
import io.travelart.image.batch.BatchLaneConfig;
import org.apache.avro.Schema;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "schemas", description = "Manages the event schemas in the schema registry.",
        subcommands = SchemasCommand.Register.class, mixinStandardHelpOptions = true)
final class SchemasCommand {

    @Command(name = "register", mixinStandardHelpOptions = true,
            description = "Sets BACKWARD compatibility on the five <topic>-value subjects (and the batch lane's pending one, and the webhook-worker's webhook-delivered and webhook-failed) and registers this version's "
                    + "schemas, ahead of a deploy whose workers run with TRAVELART_AUTO_REGISTER_SCHEMAS=false.")
    static final class Register implements Callable<Integer> {
        @Mixin
        ConnectionOptions connection;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            SchemaRegistryClient registry = connection.registry();
            PrintWriter out = spec.commandLine().getOut();
            out.printf("%-28s %-8s %s%n", "SUBJECT", "ID", "VERSIONS");
            registerAll(registry, connection.topics()).forEach((subject, id) ->
                    out.printf("%-28s %-8d %s%n", subject, id, registry.versions(subject)));
            return 0;
        }
    }

    /**
     * Sets BACKWARD on the five subjects, and the batch lane's pending one (prompt-created events waiting for a batch,
     * {@code TRAVELART_TOPIC_BATCH_PENDING}), and registers this version's schemas; returns each subject's schema id.
     */
    static Map<String, Integer> registerAll(SchemaRegistryClient registry, Topics topics) {
        Map<String, Schema> schemas = new LinkedHashMap<>();
        schemas.put(topics.keywordRequested(), KeywordRequested.getClassSchema());
        schemas.put(topics.promptCreated(), PromptCreated.getClassSchema());
        schemas.put(topics.imageReady(), ImageReady.getClassSchema());
        schemas.put(topics.requestFailed(), RequestFailed.getClassSchema());
        schemas.put(topics.requestCancelled(), RequestCancelled.getClassSchema());
        schemas.put(BatchLaneConfig.from(Settings.fromEnvironment()).pendingTopic(), PromptCreated.getClassSchema());
        WebhookTopics webhooks = WebhookTopics.from(Settings.fromEnvironment());
        schemas.put(webhooks.delivered(), WebhookDelivered.getClassSchema());
        schemas.put(webhooks.failed(), RequestFailed.getClassSchema());
        Map<String, Integer> ids = new LinkedHashMap<>();
        schemas.forEach((topic, schema) -> {
            String subject = EventSerde.subject(topic);
            registry.setCompatibility(subject, "BACKWARD");
            ids.put(subject, registry.register(subject, schema));
        });
        return ids;
    }
}
