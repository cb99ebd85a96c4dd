package io.travelart.cli;

import io.travelart.core.config.Settings;
import io.travelart.core.config.WorkerConfig;
import io.travelart.core.kafka.TopicSetup;
import io.travelart.core.results.RequestResult;
import io.travelart.core.results.ResultWatcher;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import io.travelart.core.metrics.PriceTable;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "watch", mixinStandardHelpOptions = true,
        description = "Tails image-ready and request-failed (committed events only) until Ctrl-C.")
final class WatchCommand implements Callable<Integer> {

    @Mixin
    ConnectionOptions connection;

    @Option(names = "--json", description = "One JSON object per event instead of a table.")
    boolean json;

    @Option(names = "--from-beginning", description = "Show the events already there too.")
    boolean fromBeginning;

    @Option(names = "--max", paramLabel = "N", description = "Stop after N events.")
    Integer max;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PriceTable prices = WorkerConfig.prices(Settings.fromEnvironment());
        var topics = connection.topics();
        try (TopicSetup setup = new TopicSetup(connection.kafka(), Duration.ofSeconds(15))) {
            setup.requireTopics(List.of(topics.imageReady(), topics.requestFailed()));
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (!json) {
            out.println(ResultView.tableHeader());
            out.flush();
        }
        int seen = 0;
        try (ResultWatcher watcher = new ResultWatcher(connection.kafka(), connection.serde(), topics, fromBeginning,
                problem -> err.println("travelart: skipped a record that is not a Travelart event: " + problem))) {
            while (max == null || seen < max) {
                for (RequestResult result : watcher.poll(Duration.ofMillis(500))) {
                    out.println(json ? ResultView.json(result, null, null, prices) : ResultView.tableRow(result));
                    out.flush();
                    if (max != null && ++seen >= max) {
                        break;
                    }
                }
            }
        }
        return 0;
    }
}
