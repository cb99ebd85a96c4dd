package io.travelart.system;

import io.travelart.cli.TravelartCli;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

/** One run of the travelart command in this JVM, as a user runs it: its exit code and what it printed. */
record CliRun(int exitCode, String out, String err) {

    static CliRun of(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = TravelartCli.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(args);
        return new CliRun(code, out.toString(), err.toString());
    }

    /** A run against a pipeline's stack: its Kafka and registry given as options, after {@code args}. */
    static CliRun against(io.travelart.cli.local.LocalPipeline pipeline, String... args) {
        List<String> all = new java.util.ArrayList<>(List.of(args));
        all.addAll(List.of("--bootstrap-servers", pipeline.stack().bootstrapServers(), "--registry-url", pipeline.stack().registryUrl()));
        return of(all.toArray(String[]::new));
    }

    List<String> lines() {
        return out.lines().filter(l -> !l.isBlank()).toList();
    }
}
