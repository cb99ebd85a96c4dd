package io.travelart.cli;

import io.travelart.core.config.WorkerConfig;
import java.util.Optional;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.travelart.cli.bench.EngineBench;
import io.travelart.cli.bench.PipelineBench;
import io.travelart.cli.bench.StageFigures;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Measures throughput and latency on this machine. With --processor openai (the default): the embedded "
                + "stack, the OpenAI simulator and both worker jars as separate processes, N requests end to end. With noop or "
                + "sleep: the stage engine alone, with a stage that answers at once or after a random 0..--processing-time; noop "
                + "also runs a bare Kafka consume-transform-produce relay with the same serde and transactions for comparison."})
final class BenchCommand implements Callable<Integer> {

    enum Processor { openai, noop, sleep }

    @Spec
    CommandSpec spec;

    @Option(names = "--requests", defaultValue = "500", description = "Requests (records) to push. Default: ${DEFAULT-VALUE}.")
    int requests;

    @Option(names = "--warmup", defaultValue = "200", description = "With --processor openai: requests sent through first and not "
            + "counted. Default: ${DEFAULT-VALUE}.")
    int warmup;

    @Option(names = "--partitions", defaultValue = "1", description = "Partitions of every topic. Default: ${DEFAULT-VALUE}.")
    int partitions;

    @Option(names = "--max-in-flight", defaultValue = "64", description = "Calls in flight per worker. Default: ${DEFAULT-VALUE}.")
    int maxInFlight;

    @Option(names = "--chat-latency", defaultValue = "1s", converter = DurationConverter.class,
            description = "Simulated chat completion time. Default: ${DEFAULT-VALUE}.")
    Duration chatLatency;

    @Option(names = "--image-latency", defaultValue = "1s", converter = DurationConverter.class,
            description = "Simulated image generation time. Default: ${DEFAULT-VALUE}.")
    Duration imageLatency;

    @Option(names = "--jitter", defaultValue = "0.2", description = "Each simulated latency varies by up to this share either way. "
            + "Default: ${DEFAULT-VALUE}.")
    double jitter;

    @Option(names = "--images-per-minute", defaultValue = "0", description = "Rate limit of the image-worker, also enforced by the "
            + "simulator with 429s; 0 for none. Default: ${DEFAULT-VALUE}.")
    int imagesPerMinute;

    @Option(names = "--rate", defaultValue = "0", description = "Publish this many requests per second; 0 publishes all at once. "
            + "Default: ${DEFAULT-VALUE}.")
    double rate;

    @Option(names = "--worker-heap", defaultValue = "512m", description = "-Xmx of each worker process. Default: ${DEFAULT-VALUE}.")
    String workerHeap;

    @Option(names = "--processor", defaultValue = "openai", description = "openai, noop or sleep. Default: ${DEFAULT-VALUE}.")
    Processor processor;

    @Option(names = "--processing-time", defaultValue = "5ms", converter = DurationConverter.class,
            description = "With --processor sleep: each record takes a random time from 0 to this. Default: ${DEFAULT-VALUE}.")
    Duration processingTime;

    @Option(names = "--commit-interval", converter = DurationConverter.class,
            description = "The workers' TRAVELART_COMMIT_INTERVAL (the engine's with noop or sleep). Default: the workers' default.")
    Duration commitInterval;

    @Option(names = "--batch-share", defaultValue = "0", description = "With --processor openai: this share of the requests "
            + "(0 to below 1) is of priority batch, going through the batch lane beside the others; the stage figures are then "
            + "the interactive requests' and a batch row says how long the batch ones took. Default: ${DEFAULT-VALUE}.")
    double batchShare;

    @Option(names = "--batch-max-age", defaultValue = "2s", converter = DurationConverter.class,
            description = "With --batch-share: how long the batch lane gathers before it submits a batch smaller than 500 "
                    + "(TRAVELART_BATCH_MAX_AGE); a longer age makes full batches of 500. Default: ${DEFAULT-VALUE}.")
    Duration batchMaxAge;

    @Option(names = "--image-detail", defaultValue = "realistic", description = "With --processor openai: the simulator's "
            + "images, realistic (film grain: a 1024x1024 PNG is about 2.4 MB, as a model's) or plain (one colour and a skyline, "
            + "tens of KB: what the worker does without megabytes to move). Default: ${DEFAULT-VALUE}.")
    String imageDetail;

    @Option(names = "--data-dir", defaultValue = "travelart-data", description = "Default: ${DEFAULT-VALUE}.")
    Path dataDir;

    @Option(names = "--json", description = "Print one JSON object with every figure instead of tables; progress goes to stderr.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (requests < 1 || warmup < 0 || partitions < 1 || maxInFlight < 1 || imagesPerMinute < 0 || rate < 0 || jitter < 0 || jitter >= 1
                || batchShare < 0 || batchShare >= 1) {
            throw new ParameterException(spec.commandLine(), "--requests, --partitions and --max-in-flight must be at least 1; "
                    + "--warmup, --images-per-minute and --rate at least 0; --jitter and --batch-share from 0 to below 1");
        }
        if (!imageDetail.equals("realistic") && !imageDetail.equals("plain")) {
            throw new ParameterException(spec.commandLine(), "--image-detail is realistic or plain, not " + imageDetail);
        }
        PrintStream out = spec.commandLine().getOut() == null ? System.out : new PrintStream(System.out, true, "UTF-8");
        PrintStream progress = json ? System.err : out;
        Path runDir = dataDir.resolve("bench");
        Directories.deleteRecursively(runDir);
        String machine = Runtime.getRuntime().availableProcessors() + " cores, Java " + System.getProperty("java.version");
        if (processor == Processor.openai) {
            var options = new PipelineBench.Options(requests, warmup, partitions, chatLatency, imageLatency, jitter, maxInFlight,
                    imagesPerMinute, rate, workerHeap, Optional.ofNullable(commitInterval), runDir, batchShare, batchMaxAge,
                    imageDetail.equals("plain") ? io.travelart.devstack.image.ImageDetail.PLAIN : io.travelart.devstack.image.ImageDetail.REALISTIC);
            PipelineBench.Result result = new PipelineBench(options, progress).run();
            if (json) {
                out.println(json(pipelineJson(result, machine)));
            } else {
                printPipeline(out, result, machine);
            }
        } else {
            long micros = processor == Processor.noop ? 0 : processingTime.toNanos() / 1000;
            var options = new EngineBench.Options(requests, partitions, maxInFlight, micros, processor == Processor.noop,
                    commitInterval == null ? WorkerConfig.DEFAULT_COMMIT_INTERVAL : commitInterval, runDir);
            EngineBench.Result result = new EngineBench(options, progress).run();
            if (json) {
                out.println(json(engineJson(result, machine)));
            } else {
                printEngine(out, result, machine);
            }
        }
        return 0;
    }

    private static String json(Object value) throws Exception {
        return new ObjectMapper().disable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(value);
    }

    private Map<String, Object> pipelineJson(PipelineBench.Result r, String machine) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("machine", machine);
        Map<String, Object> opts = new LinkedHashMap<>();
        opts.put("requests", requests);
        opts.put("warmup", warmup);
        opts.put("partitions", partitions);
        opts.put("maxInFlight", maxInFlight);
        opts.put("chatLatencyMs", chatLatency.toMillis());
        opts.put("imageLatencyMs", imageLatency.toMillis());
        opts.put("jitter", jitter);
        opts.put("imagesPerMinute", imagesPerMinute);
        opts.put("rate", rate);
        opts.put("batchShare", batchShare);
        opts.put("imageDetail", imageDetail);
        m.put("options", opts);
        m.put("prompt", r.prompt().json());
        Map<String, Object> image = r.image().json();
        image.put("idealRatio", StageFigures.round(r.idealImageRatio()));
        m.put("image", image);
        m.put("endToEnd", r.endToEnd().json());
        if (r.batch() != null) {
            m.put("batchEndToEnd", r.batch().json());
        }
        Map<String, Object> overhead = new LinkedHashMap<>();
        overhead.put("p50", StageFigures.round(r.overhead().percentileMillis(50)));
        overhead.put("p95", StageFigures.round(r.overhead().percentileMillis(95)));
        overhead.put("p99", StageFigures.round(r.overhead().percentileMillis(99)));
        m.put("overheadOverApiTime", overhead);
        m.put("failed", r.failed());
        m.put("rateLimited429s", r.rateLimited());
        m.put("imageCalls", r.imageCalls());
        m.put("peakRssBytes", r.peakRss());
        m.put("exitCodes", r.exitCodes());
        return m;
    }

    private void printPipeline(PrintStream out, PipelineBench.Result r, String machine) {
        out.printf("%nbench: %d requests, %d partition(s), max in flight %d, chat %d ms, image %d ms (±%.0f%%, %s), %s, %s%n",
                requests, partitions, maxInFlight, chatLatency.toMillis(), imageLatency.toMillis(), jitter * 100, imageDetail,
                imagesPerMinute > 0 ? imagesPerMinute + " images/min" : "no rate limit",
                rate > 0 ? "published at " + rate + "/s" : "published at once");
        out.printf("machine: %s%n%n", machine);
        if (r.batch() != null) {
            out.printf("The stage rows are the %d interactive requests; %.0f%% of the requests were of priority batch (last row).%n",
                    r.endToEnd().requests(), batchShare * 100);
        }
        out.printf("%-11s %8s %12s %10s %7s %9s %9s %9s%n", "stage", "requests", "throughput/s", "limit/s", "ratio", "p50 ms",
                "p95 ms", "p99 ms");
        for (StageFigures f : r.batch() == null ? new StageFigures[]{r.prompt(), r.image(), r.endToEnd()}
                : new StageFigures[]{r.prompt(), r.image(), r.endToEnd(), r.batch()}) {
            out.printf("%-11s %8d %12.2f %10.2f %7.3f %9.1f %9.1f %9.1f%n", f.name(), f.requests(), f.throughput(), f.limit(),
                    f.ratio(), f.p50(), f.p95(), f.p99());
        }
        if (!Double.isNaN(r.idealImageRatio())) {
            out.printf("%nan ideal image stage (no overhead, the prompts arriving when they did, the same latencies) would reach "
                    + "%.3f of the limit here: this one reached %.3f of that%n", r.idealImageRatio(), r.image().ratio() / r.idealImageRatio());
        }
        out.printf("%npipeline time over the API time, per request: p50 %.1f ms, p95 %.1f ms, p99 %.1f ms%n",
                r.overhead().percentileMillis(50), r.overhead().percentileMillis(95), r.overhead().percentileMillis(99));
        out.printf("failed: %d; image calls: %d; 429s from the simulator: %d%n", r.failed(), r.imageCalls(), r.rateLimited());
        StringBuilder memory = new StringBuilder();
        r.peakRss().forEach((name, bytes) -> memory.append(String.format("%s %d MB, ", name, bytes / (1024 * 1024))));
        out.printf("peak memory (RSS, -Xmx%s): %s%n", workerHeap, memory.length() == 0 ? "not available" : memory.substring(0, memory.length() - 2));
        out.printf("exit codes after SIGTERM: %s%n", r.exitCodes());
    }

    private Map<String, Object> engineJson(EngineBench.Result r, String machine) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("machine", machine);
        m.put("processor", processor.name());
        m.put("requests", requests);
        m.put("partitions", partitions);
        m.put("maxInFlight", maxInFlight);
        m.put("engine", run(r.engine()));
        if (r.relay() != null) {
            m.put("relay", run(r.relay()));
            m.put("ratioToRelay", StageFigures.round(r.engine().throughput() / r.relay().throughput()));
        }
        if (!Double.isNaN(r.bound())) {
            m.put("boundSeconds", StageFigures.round(r.bound()));
            m.put("ratioToBound", StageFigures.round(r.bound() / r.engine().seconds()));
        }
        return m;
    }

    private static Map<String, Object> run(EngineBench.Run run) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("records", run.records());
        m.put("seconds", StageFigures.round(run.seconds()));
        m.put("throughput", StageFigures.round(run.throughput()));
        return m;
    }

    private void printEngine(PrintStream out, EngineBench.Result r, String machine) {
        out.printf("%nbench --processor %s: %d records, %d partition(s), max in flight %d%s%n", processor, requests, partitions,
                maxInFlight, processor == Processor.sleep ? ", 0.." + processingTime.toMillis() + " ms each" : "");
        out.printf("machine: %s%n%n", machine);
        out.printf("%-8s %8s %9s %13s%n", "run", "records", "seconds", "records/s");
        for (EngineBench.Run run : new EngineBench.Run[]{r.engine(), r.relay()}) {
            if (run != null) {
                out.printf("%-8s %8d %9.3f %13.0f%n", run.name(), run.records(), run.seconds(), run.throughput());
            }
        }
        if (r.relay() != null) {
            out.printf("%nengine / bare relay: %.3f%n", r.engine().throughput() / r.relay().throughput());
        }
        if (!Double.isNaN(r.bound())) {
            out.printf("%nbound %d x %.2f ms / %d = %.3f s; engine took %.3f s: %.3f of the bound%n", requests,
                    processingTime.toNanos() / 2e6, maxInFlight, r.bound(), r.engine().seconds(), r.bound() / r.engine().seconds());
        }
    }
}
