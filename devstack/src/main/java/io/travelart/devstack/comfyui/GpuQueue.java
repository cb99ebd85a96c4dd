package io.travelart.devstack.comfyui;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * ComfyUI's queue and the GPUs that take jobs from it, each on a thread of its own ({@code gpuWidth} at once; ComfyUI
 * itself runs one), with the history of the jobs that ended. All of it lives in memory, as in ComfyUI: a restart
 * ({@link #dropAll}) loses it, and a job that was running then leaves no trace.
 */
final class GpuQueue implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final JobRunner runner;
    private final ExecutorService gpus;
    private final Object lock = new Object();
    private final List<Job> pending = new ArrayList<>();
    private final Map<String, Job> running = new LinkedHashMap<>();
    private final Map<String, Thread> runningThreads = new HashMap<>();
    private final Map<String, ObjectNode> history = new LinkedHashMap<>();
    private final Map<String, AtomicLong> queuedByRequest = new ConcurrentHashMap<>();
    private long number;
    private long epoch;
    private volatile boolean closed;

    GpuQueue(JobRunner runner, int gpuWidth) {
        this.runner = runner;
        this.gpus = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "comfyui-simulator-gpu");
            t.setDaemon(true);
            return t;
        });
        for (int i = 0; i < Math.max(1, gpuWidth); i++) {
            gpus.submit(this::gpu);
        }
    }

    /** Queues a checked graph; returns its number in the queue. */
    long enqueue(String promptId, ObjectNode graph, ObjectNode extra, List<String> outputs) {
        synchronized (lock) {
            long queuedNumber = number++;
            Job job = new Job(queuedNumber, promptId, graph, extra, outputs, epoch);
            pending.add(job);
            lock.notifyAll();
            if (job.requestId() != null) {
                queuedByRequest.computeIfAbsent(job.requestId(), k -> new AtomicLong()).incrementAndGet();
            }
            return queuedNumber;
        }
    }

    long queued(String requestId) {
        AtomicLong n = queuedByRequest.get(requestId);
        return n == null ? 0 : n.get();
    }

    int depth() {
        synchronized (lock) {
            return pending.size() + running.size();
        }
    }

    ObjectNode queueInfo() {
        ObjectNode info = JSON.createObjectNode();
        synchronized (lock) {
            info.putObject("exec_info").put("queue_remaining", pending.size() + running.size());
        }
        return info;
    }

    /** {@code GET /queue}: what runs and what waits. */
    ObjectNode queueJson() {
        ObjectNode answer = JSON.createObjectNode();
        synchronized (lock) {
            ArrayNode runningNow = answer.putArray("queue_running");
            running.values().forEach(job -> runningNow.add(item(job)));
            ArrayNode waiting = answer.putArray("queue_pending");
            pending.forEach(job -> waiting.add(item(job)));
        }
        return answer;
    }

    /** {@code POST /queue} ({@code history} false) or {@code POST /history}: {@code {"clear": true}} and/or {@code {"delete": [ids]}}. */
    void clearOrDelete(JsonNode body, boolean ofHistory) {
        synchronized (lock) {
            if (body.path("clear").asBoolean(false)) {
                if (ofHistory) {
                    history.clear();
                } else {
                    pending.clear();
                }
            }
            for (JsonNode id : body.path("delete")) {
                if (ofHistory) {
                    history.remove(id.asText());
                } else {
                    pending.removeIf(job -> job.promptId().equals(id.asText()));
                }
            }
        }
    }

    /** {@code POST /interrupt}: the running jobs stop. */
    void interrupt() {
        synchronized (lock) {
            runningThreads.values().forEach(Thread::interrupt);
        }
    }

    /** {@code GET /history[/{id}]}: one job's entry, or all of them. */
    ObjectNode historyJson(Optional<String> id) {
        ObjectNode answer = JSON.createObjectNode();
        synchronized (lock) {
            if (id.isPresent()) {
                ObjectNode entry = history.get(id.get());
                if (entry != null) {
                    answer.set(id.get(), entry);
                }
            } else {
                history.forEach(answer::set);
            }
        }
        return answer;
    }

    /** What a restart loses: the queue, the running jobs and the history. */
    void dropAll() {
        synchronized (lock) {
            epoch++;
            pending.clear();
            running.clear();
            runningThreads.values().forEach(Thread::interrupt);
            runningThreads.clear();
            history.clear();
            lock.notifyAll();
        }
    }

    private void gpu() {
        while (!closed) {
            Job job;
            synchronized (lock) {
                while (pending.isEmpty() && !closed) {
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        if (closed) {
                            return;
                        }
                    }
                }
                if (closed) {
                    return;
                }
                job = pending.remove(0);
                running.put(job.promptId(), job);
                runningThreads.put(job.promptId(), Thread.currentThread());
            }
            run(job);
            Thread.interrupted();
        }
    }

    private void run(Job job) {
        ObjectNode entry = runner.run(job);
        synchronized (lock) {
            runningThreads.remove(job.promptId());
            if (job.epoch() != epoch) {
                return; // the server "restarted" while it ran: nothing of it survives
            }
            running.remove(job.promptId());
            history.put(job.promptId(), entry);
        }
    }

    private static ArrayNode item(Job job) {
        return JSON.createArrayNode().add(job.number()).add(job.promptId()).add(job.graph()).add(job.extraData())
                .add(JSON.valueToTree(job.outputs()));
    }

    @Override
    public void close() {
        closed = true;
        synchronized (lock) {
            lock.notifyAll();
        }
        gpus.shutdownNow();
    }
}
