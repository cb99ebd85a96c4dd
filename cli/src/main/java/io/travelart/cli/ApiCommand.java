package io.travelart.cli;

import io.travelart.api.Api;
import io.travelart.api.ApiConfig;
import io.travelart.api.ApiKeys;
import io.travelart.api.Statuses;
import io.travelart.cli.records.RequestLookup;
import io.travelart.core.config.Settings;
import io.travelart.core.config.WorkerConfig;
import io.travelart.image.batch.BatchLaneConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "api", mixinStandardHelpOptions = true,
        description = {"Serves the HTTP API for upstream systems that do not speak Kafka, until Ctrl-C: POST /v1/requests, "
                + "GET /v1/requests/{id}, POST /v1/requests/{id}/cancel, GET /v1/openapi.json. Keys come from "
                + "$TRAVELART_API_KEYS (sourceSystem=sha256:<hex>, comma-separated); see docs/api.md.",
                "--new-key SOURCE prints a new key for a source system and its entry for TRAVELART_API_KEYS, and exits."})
final class ApiCommand implements Callable<Integer> {

    @Mixin
    ConnectionOptions connection;

    @Option(names = "--host", paramLabel = "HOST", description = "Where to listen. Default: $TRAVELART_API_HOST, else 0.0.0.0.")
    String host;

    @Option(names = "--port", paramLabel = "PORT", description = "Default: $TRAVELART_API_PORT, else 8080; 0 picks a free one.")
    Integer port;

    @Option(names = "--new-key", paramLabel = "SOURCE", description = "Make a key for this source system and exit.")
    String newKey;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        if (newKey != null) {
            String key = ApiKeys.newKey();
            out.println("key:   " + key);
            out.println("entry: " + ApiKeys.entry(newKey, key));
            out.println("Give the key to " + newKey + " (it is shown once); add the entry to TRAVELART_API_KEYS.");
            return 0;
        }
        if (port != null && (port < 0 || port > 65535)) {
            throw new ParameterException(spec.commandLine(), "--port " + port + " is not a port: expected 0 to 65535");
        }
        Settings settings = connection.settings();
        Map<String, String> values = new HashMap<>();
        if (host != null) {
            values.put("TRAVELART_API_HOST", host);
        }
        if (port != null) {
            values.put("TRAVELART_API_PORT", Integer.toString(port));
        }
        ApiConfig config = ApiConfig.from(settings.with(values));
        BatchLaneConfig lane = BatchLaneConfig.from(settings);
        var sources = new RequestLookup.Sources(config.topics(), lane.pendingTopic(), lane.batchesTopic());
        Statuses statuses = RequestLookup.statuses(config.kafka(), connection.serde(), sources, WorkerConfig.prices(settings));
        try (UntilStopped stop = UntilStopped.install(); Api api = Api.start(config, statuses)) {
            out.println("API on http://" + config.host() + ":" + api.port() + "/v1 (keyword-requested at "
                    + config.kafka().bootstrapServers() + "; " + config.keys().size() + " key(s)); metrics and health on port "
                    + api.managementPort());
            out.println("Press Ctrl-C to stop.");
            out.flush();
            stop.await();
        }
        return 0;
    }
}
