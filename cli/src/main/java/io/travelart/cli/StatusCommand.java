package io.travelart.cli;

import io.travelart.api.StatusJson;
import io.travelart.cli.records.RequestLookup;
import io.travelart.core.config.Settings;
import io.travelart.core.config.WorkerConfig;
import io.travelart.core.results.RequestStatus;
import io.travelart.events.ImageReady;
import io.travelart.events.RequestFailed;
import io.travelart.image.batch.BatchLaneConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Callable;

@Command(name = "status", mixinStandardHelpOptions = true,
        description = {"Where one request is, from its events: writing the prompt, drawing, waiting for a batch or in one, "
                + "ready, failed or cancelled; with the time of each step and the estimated cost so far.",
                "Reads the request id's own partition of each topic the workers write (and every partition of "
                        + "keyword-requested) from --since on; exit 1 when no event of it is found there."})
final class StatusCommand implements Callable<Integer> {

    @Mixin
    ConnectionOptions connection;

    @Parameters(paramLabel = "REQUEST_ID", description = "The request's id (requestId, the events' key).")
    String requestId;

    @Option(names = "--since", description = "Look at events written at or after this: an instant (2026-11-24T10:00:00Z) or a "
            + "time ago (30m, 2h, 7d). Default: for an id Travelart made (a UUIDv7, which holds its time) a few minutes "
            + "before that time, else 7d.")
    String since;

    @Option(names = "--json", description = "One JSON object.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Instant from = since != null ? FailedCommand.Filters.instant(spec, "--since", since)
                : RequestLookup.defaultSince(requestId, Instant.now());
        Settings settings = connection.settings();
        BatchLaneConfig lane = BatchLaneConfig.from(settings);
        Optional<RequestStatus> status = RequestLookup.find(connection.kafka(), connection.serde(),
                new RequestLookup.Sources(connection.topics(), lane.pendingTopic(), lane.batchesTopic()), WorkerConfig.prices(settings),
                requestId, from);
        PrintWriter out = spec.commandLine().getOut();
        if (status.isEmpty()) {
            spec.commandLine().getErr().println("travelart: no event of request " + requestId + " since " + from
                    + " (an older request: --since)");
            return 1;
        }
        if (json) {
            out.println(StatusJson.of(status.get()));
        } else {
            print(out, status.get());
        }
        return 0;
    }

    private static void print(PrintWriter out, RequestStatus s) {
        out.println(s.keyword().orElse("(no keyword)") + "  [" + s.requestId() + "]" + s.sourceSystem().map(src -> "  from " + src).orElse(""));
        out.println("  state:  " + s.state().words() + s.batchId().filter(b -> s.state() == RequestStatus.State.IN_BATCH)
                .map(b -> " " + b).orElse(""));
        for (int i = 0; i < s.steps().size(); i++) {
            RequestStatus.Step step = s.steps().get(i);
            out.println((i == 0 ? "  steps:  " : "          ") + step.at() + "  " + step.what());
        }
        s.ready().map(ImageReady::getImageUrl).ifPresent(url -> out.println("  image:  " + url));
        s.failure().filter(f -> s.state() == RequestStatus.State.CANCELLED)
                .ifPresent(f -> out.println("  ended:  " + f.getMessage() + " (no call of it was paid after that)"));
        s.failure().filter(f -> s.state() == RequestStatus.State.FAILED).ifPresent((RequestFailed f) -> out.println("  failed: "
                + f.getErrorCode() + " at " + f.getStage() + " ("
                + (f.getRetriable() ? "retriable: travelart replay --request-id " + s.requestId() : "permanent") + "): " + f.getMessage()));
        out.printf("  cost:   $%.4f estimated%s%n", s.costUsd(), s.state().isFinal() ? "" : " so far");
    }
}
