package io.travelart.cli;

import io.travelart.core.http.HttpServers;
import io.travelart.core.config.ConfigException;
import io.travelart.core.kafka.KafkaSetupException;
import io.travelart.core.registry.RegistryException;
import io.travelart.core.worker.StartupException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code travelart} command. */
@Command(name = "travelart", mixinStandardHelpOptions = true, version = "travelart 0.1.0",
        description = "Turns short travel keywords into concept art through Kafka event-driven workers.",
        subcommands = {DemoCommand.class, DevCommand.class, PublishCommand.class, WatchCommand.class, GalleryCommand.class, BatchesCommand.class, StatusCommand.class, CancelCommand.class, ApiCommand.class, WebhooksCommand.class, FailedCommand.class, ReplayCommand.class, BenchCommand.class, TopicsCommand.class,
                SchemasCommand.class, ModelsCommand.class})
public final class TravelartCli {

    public static void main(String[] args) {
        // Where the deployment files run it (the API, the topic setup), TRAVELART_LOG_FORMAT=json: JSON on the console, as the
        // workers log. Otherwise its output is for people, so it logs to a file.
        io.travelart.core.worker.LogFormat.apply();
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "travelart-cli-logback.xml");
        }
        // Before any HTTP server of this JVM starts (the simulators', the gallery's, in-process workers').
        HttpServers.limitRequestTime();
        System.exit(commandLine().execute(args));
    }

    /** Bad arguments exit 2 (picocli's default); a stack that cannot be used exits 1 with one line. */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new TravelartCli());
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof ConfigException || e instanceof KafkaSetupException || e instanceof RegistryException
                    || e instanceof StartupException || e instanceof UserFacingException) {
                commandLine.getErr().println("travelart: " + e.getMessage());
                return 1;
            }
            throw e;
        });
        return cli;
    }
}
