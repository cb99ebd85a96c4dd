package io.travelart.cli;

import io.travelart.core.config.Topics;
import io.travelart.core.registry.SchemaRegistryClient;
import io.travelart.core.serde.EventSerde;
import io.travelart.events.ImageReady;
import io.travelart.events.KeywordRequested;
import io.travelart.events.PromptCreated;
import io.travelart.events.RequestFailed;
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
            description = "Sets BACKWARD compatibility on the four <topic>-value subjects and registers this version's "
                    + "schemas, ahead of a deploy whose workers run with TRAVELART_AUTO_REGISTER_SCHEMAS=false.")
    static final class Register implements Callable<Integer> {
        @Mixin
        ConnectionOptions connection;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            Topics topics = connection.topics();
            SchemaRegistryClient registry = connection.serde().registry();
            Map<String, Schema> schemas = new LinkedHashMap<>();
            schemas.put(topics.keywordRequested(), KeywordRequested.getClassSchema());
            schemas.put(topics.promptCreated(), PromptCreated.getClassSchema());
            schemas.put(topics.imageReady(), ImageReady.getClassSchema());
            schemas.put(topics.requestFailed(), RequestFailed.getClassSchema());
            PrintWriter out = spec.commandLine().getOut();
            out.printf("%-28s %-8s %s%n", "SUBJECT", "ID", "VERSIONS");
            schemas.forEach((topic, schema) -> {
                String subject = EventSerde.subject(topic);
                registry.setCompatibility(subject, "BACKWARD");
                int id = registry.register(subject, schema);
                out.printf("%-28s %-8d %s%n", subject, id, registry.versions(subject));
            });
            return 0;
        }
    }
}
