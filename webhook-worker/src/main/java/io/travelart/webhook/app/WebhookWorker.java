package io.travelart.webhook.app;

import io.travelart.core.call.RetryPolicy;
import io.travelart.core.cancel.Cancellations;
import io.travelart.core.engine.StageGate;
import io.travelart.core.failure.StageNames;
import io.travelart.core.metrics.WorkerMetrics;
import io.travelart.core.registry.SchemaRegistryClient;
import io.travelart.core.serde.EventSerde;
import io.travelart.core.time.Time;
import io.travelart.core.worker.CallPool;
import io.travelart.core.worker.Worker;
import io.travelart.events.ImageReady;
import io.travelart.events.RequestFailed;
import io.travelart.events.WebhookDelivered;
import io.travelart.webhook.DeliveryStage;
import io.travelart.webhook.Sender;
import org.apache.avro.specific.SpecificRecord;

import java.net.http.HttpClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.random.RandomGenerator;

/**
 * Wires the webhook-worker: the delivery stage on the stage engine, reading image-ready, request-failed and
 * webhook-redeliver, writing the delivery log (webhook-delivered) and what was not delivered (webhook-failed). No
 * cancels (a cancelled request's request-failed is what its subscriber is to be told) and no paid calls: its gate never
 * pauses, since an endpoint that does not answer is that endpoint's, not the worker's.
 */
public final class WebhookWorker {

    public static final String NAME = "webhook-worker";

    private WebhookWorker() {
    }

    public static Worker<SpecificRecord, WebhookDelivered> start(WebhookWorkerConfig config) {
        Time time = Time.SYSTEM;
        var worker = config.worker();
        WorkerMetrics metrics = WorkerMetrics.prometheus(NAME, worker.instanceId(), worker.prices());
        List<AutoCloseable> resources = new ArrayList<>();
        ExecutorService pool = CallPool.create("webhook-call");
        resources.add(pool::shutdownNow);
        HttpClient http = Sender.client(config.connectTimeout());
        resources.add(http::shutdownNow);
        StageGate gate = Worker.gate(StageNames.WEBHOOK, worker, StageGate.Probe.NONE, time, metrics, resources);
        RetryPolicy retry = new RetryPolicy(config.retry(), DeliveryStage.ERRORS, time, RandomGenerator.getDefault(),
                metrics.retries(StageNames.WEBHOOK));
        EventSerde serde = new EventSerde(new SchemaRegistryClient(worker.registry(), time), worker.registry().autoRegister(),
                worker.maxRecordBytes());
        var stage = new DeliveryStage(config.endpoints(), new Sender(http, config.timeout(), time), retry, pool, serde,
                worker.topics(), config.topics().redeliver(), config.limits(), time, metrics.registry());
        var topics = worker.topics();
        var io = new Worker.Io(List.of(topics.imageReady(), topics.requestFailed(), config.topics().redeliver()),
                Map.of(topics.imageReady(), ImageReady.getClassSchema(), topics.requestFailed(), RequestFailed.getClassSchema()),
                config.topics().delivered(), WebhookDelivered.getClassSchema(), config.topics().failed());
        return Worker.start(NAME, worker, stage, io, time, metrics, gate, Cancellations.NONE, resources.toArray(AutoCloseable[]::new));
    }
}
