package io.travelart.cli;

import io.travelart.cli.records.RequestPublisher;
import io.travelart.core.serde.EventSerde;
import io.travelart.events.RequestBounds;
import io.travelart.events.RequestCancelled;
import org.apache.kafka.clients.producer.RecordMetadata;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

@Command(name = "cancel", mixinStandardHelpOptions = true,
        description = {"Asks the workers to stop requests: a record on request-cancelled (compacted, keyed by the request id). "
                + "A request not yet at its next paid call ends as one request-failed with code CANCELLED: the prompt-worker "
                + "and the image-worker skip it before their call, the batch lane before it goes into a batch. A call already "
                + "started is paid, and its answer kept.",
                "--withdraw takes a cancel back (a tombstone); 'travelart replay --include-cancelled' does so for the requests it "
                        + "replays."})
final class CancelCommand implements Callable<Integer> {

    @Mixin
    ConnectionOptions connection;

    @Parameters(paramLabel = "REQUEST_ID", arity = "1..*", description = "The requests' ids.")
    List<String> requestIds;

    @Option(names = "--reason", paramLabel = "TEXT", description = "Why, for whoever reads the failure (at most "
            + RequestBounds.CANCEL_REASON_MAX + " characters).")
    String reason;

    @Option(names = "--by", paramLabel = "WHO", description = "Who asks (at most " + RequestBounds.CANCELLED_BY_MAX
            + " characters). Default: the user running the command.")
    String by;

    @Option(names = "--withdraw", description = "Take the cancels back instead: what has not ended yet goes on.")
    boolean withdraw;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        String who = by != null ? by : "cli:" + System.getProperty("user.name", "unknown");
        Instant now = Instant.now();
        List<RequestCancelled> cancels = requestIds.stream().map(id -> RequestCancelled.newBuilder().setRequestId(id)
                .setReason(reason).setCancelledBy(who).setCancelledAt(now).build()).toList();
        for (RequestCancelled cancel : cancels) {
            Optional<String> problem = RequestBounds.problem(cancel);
            if (problem.isPresent()) {
                throw new ParameterException(spec.commandLine(), problem.get().replace("cancelledBy", "--by").replace("reason", "--reason"));
            }
        }
        String topic = connection.topics().requestCancelled();
        EventSerde serde = connection.serde();
        PrintWriter out = spec.commandLine().getOut();
        try (RequestPublisher publisher = new RequestPublisher(connection.kafka(), serde, topic)) {
            for (RequestCancelled cancel : cancels) {
                String id = cancel.getRequestId();
                RecordMetadata written = publisher.send(id, withdraw ? null : serde.serialize(topic, cancel));
                out.printf("%s  %s (%s-%d@%d)%n", id, withdraw ? "cancel withdrawn" : "cancel recorded", written.topic(),
                        written.partition(), written.offset());
            }
        }
        if (!withdraw) {
            out.println("A request not yet at its next paid call ends CANCELLED; 'travelart status ID' shows where each is.");
        }
        return 0;
    }
}
