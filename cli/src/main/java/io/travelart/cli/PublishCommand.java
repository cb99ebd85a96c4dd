package io.travelart.cli;

import io.travelart.cli.records.RequestPublisher;
import io.travelart.core.kafka.TopicSetup;
import io.travelart.core.images.ImageModels;
import io.travelart.events.KeywordRequested;
import io.travelart.events.Priorities;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "publish", mixinStandardHelpOptions = true,
        description = "Publishes keyword-requested events and prints their request ids, one per line.")
final class PublishCommand implements Callable<Integer> {

    @Mixin
    ConnectionOptions connection;

    @Option(names = "--keyword", required = true, description = "The travel keyword, e.g. '겨울밤의 파리'.")
    String keyword;

    @Option(names = "--style", description = "Preferred art style, e.g. watercolor.")
    String style;

    @Option(names = "--locale", description = "Locale of the keyword, e.g. ko-KR.")
    String locale;

    @Option(names = "--size", description = "Image size WIDTHxHEIGHT. Default: the image-worker's (1024x1024).")
    String size;

    @Option(names = "--quality", description = "Image quality: low, medium, high, xhigh, max or auto. Default: the image-worker's (medium).")
    String quality;

    @Option(names = "--source", defaultValue = "travelart-cli", description = "Source system name. Default: ${DEFAULT-VALUE}.")
    String source;

    @Option(names = "--priority", description = "interactive (the default) or batch: the request may wait up to 24 hours and "
            + "costs half (the image-worker's batch lane).")
    String priority;

    @Option(names = "--count", defaultValue = "1", description = "How many requests of this keyword. Default: ${DEFAULT-VALUE}.")
    int count;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (count < 1) {
            throw new ParameterException(spec.commandLine(), "--count must be at least 1");
        }
        if (quality != null && !ImageModels.QUALITIES.contains(quality)) {
            throw new ParameterException(spec.commandLine(), "--quality '" + quality + "' is not one of " + String.join(", ", ImageModels.QUALITIES));
        }
        if (priority != null && !Priorities.ALL.contains(priority)) {
            throw new ParameterException(spec.commandLine(), "--priority '" + priority + "' is not one of " + String.join(", ", Priorities.ALL));
        }
        String topic = connection.topics().keywordRequested();
        try (TopicSetup setup = new TopicSetup(connection.kafka(), Duration.ofSeconds(15))) {
            setup.requireTopics(List.of(topic));
        }
        try (RequestPublisher publisher = new RequestPublisher(connection.kafka(), connection.serde(), topic)) {
            for (int i = 0; i < count; i++) {
                KeywordRequested request = RequestPublisher.request(keyword, style, locale, size, source);
                request.setQuality(quality);
                request.setPriority(priority);
                publisher.publish(request);
                spec.commandLine().getOut().println(request.getRequestId());
                spec.commandLine().getOut().flush();
            }
        }
        return 0;
    }
}
