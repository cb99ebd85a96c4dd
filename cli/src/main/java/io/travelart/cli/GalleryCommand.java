package io.travelart.cli;

import io.travelart.core.config.Settings;
import io.travelart.core.config.WorkerConfig;
import io.travelart.core.kafka.TopicSetup;
import io.travelart.gallery.Gallery;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "gallery", mixinStandardHelpOptions = true,
        description = "Serves a web page of the images as they arrive (committed image-ready events, newest first) with "
                + "failures in their own lane, until Ctrl-C.")
final class GalleryCommand implements Callable<Integer> {

    @Mixin
    ConnectionOptions connection;

    @Option(names = "--host", defaultValue = "127.0.0.1",
            description = "Where to listen. Default: ${DEFAULT-VALUE} (this machine only); 0.0.0.0 for every interface.")
    String host;

    @Option(names = "--port", defaultValue = "8088", description = "Default: ${DEFAULT-VALUE}; 0 picks a free one.")
    int port;

    @Option(names = "--keep", defaultValue = "10000", description = "The most images (and failures) held; older ones are "
            + "forgotten. Default: ${DEFAULT-VALUE}.")
    int keep;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (port < 0 || port > 65535) {
            throw new ParameterException(spec.commandLine(), "--port " + port + " is not a port: expected 0 to 65535");
        }
        if (keep < 1) {
            throw new ParameterException(spec.commandLine(), "--keep " + keep + " is not accepted: expected 1 or more");
        }
        var topics = connection.topics();
        try (TopicSetup setup = new TopicSetup(connection.kafka(), Duration.ofSeconds(15))) {
            setup.requireTopics(List.of(topics.imageReady(), topics.requestFailed()));
        }
        PrintWriter out = spec.commandLine().getOut();
        try (UntilStopped stop = UntilStopped.install();
             Gallery gallery = Gallery.start(connection.kafka(), connection.serde(), topics,
                WorkerConfig.prices(Settings.fromEnvironment()), new Gallery.Options(host, port, keep))) {
            out.println("Gallery on " + gallery.url() + " (image-ready and request-failed at " + connection.kafka().bootstrapServers() + ")");
            out.println("Press Ctrl-C to stop.");
            out.flush();
            stop.await();
        }
        return 0;
    }
}
