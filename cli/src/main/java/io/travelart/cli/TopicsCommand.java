package io.travelart.cli;

import io.travelart.core.kafka.TopicSetup;
import io.travelart.webhook.WebhookTopics;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;

@Command(name = "topics", description = "Manages the pipeline's topics.", subcommands = TopicsCommand.Create.class,
        mixinStandardHelpOptions = true)
final class TopicsCommand {

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Creates the pipeline's five topics (keyword-requested, prompt-created, image-ready, request-failed, "
                    + "request-cancelled) and the webhook-worker's three (webhook-delivered, webhook-failed, webhook-redeliver): those missing.")
    static final class Create implements Callable<Integer> {
        @Mixin
        ConnectionOptions connection;

        @Option(names = "--partitions", defaultValue = "3", description = "Partitions of each new topic. Default: ${DEFAULT-VALUE}.")
        int partitions;

        @Option(names = "--replication-factor", defaultValue = "1", description = "Replicas of each new topic. Default: ${DEFAULT-VALUE}.")
        short replicationFactor;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            if (partitions < 1 || replicationFactor < 1) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                        "--partitions and --replication-factor must be at least 1");
            }
            PrintWriter out = spec.commandLine().getOut();
            try (TopicSetup setup = new TopicSetup(connection.kafka(), Duration.ofSeconds(30))) {
                List<TopicSetup.Created> all = new ArrayList<>(setup.create(connection.topics(), partitions, replicationFactor));
                all.addAll(setup.create(WebhookTopics.from(connection.settings()).all(), partitions, replicationFactor));
                for (TopicSetup.Created created : all) {
                    out.printf("%-20s %-8s %d partitions%n", created.topic(), created.existed() ? "exists" : "created",
                            created.partitions());
                }
            }
            return 0;
        }
    }
}
