package io.travelart.image;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.concurrent.Semaphore;

/**
 * How many image answers are in memory at once: read from the provider, decoded and stored
 * ({@code TRAVELART_MAX_IMAGES_IN_MEMORY}). A call in flight costs little while it waits for the provider; its answer
 * costs much (a 1024x1024 PNG is 1.5-3 MB, decoded from its base64 as it is read: twice the image at the peak, its
 * blocks and then its array; a batch line's answer, parsed whole, more). So a call takes
 * a permit when its answer starts to arrive and gives it back once its image is stored: however many calls are in
 * flight, only this many answers are held, and the others wait with their answers unread, in the connection.
 *
 * <p>A permit belongs to the thread that took it (a call runs on one thread from the request to the stored image), and
 * is taken once per call however many attempts read an answer.
 */
public final class ImageMemory {

    /** No bound: for tests that drive one generator at a time. */
    public static final ImageMemory UNBOUNDED = new ImageMemory(Integer.MAX_VALUE);

    private final int limit;
    private final Semaphore permits;
    private final ThreadLocal<Boolean> held = ThreadLocal.withInitial(() -> false);

    public ImageMemory(int limit) {
        this.limit = limit;
        this.permits = new Semaphore(limit, true);
    }

    /** Waits for room before an answer is read; once per call (a retry's answer reuses the permit). */
    public void enter() {
        if (held.get()) {
            return;
        }
        try {
            permits.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting to read an image answer", e);
        }
        held.set(true);
    }

    /** The call's image is stored, or its call has ended without one: its answer's room is free again. */
    public void leave() {
        if (held.get()) {
            held.set(false);
            permits.release();
        }
    }

    /** {@code travelart.images.in.memory}: answers being read, decoded or stored now. */
    public void bind(MeterRegistry registry) {
        Gauge.builder("travelart.images.in.memory", () -> limit - permits.availablePermits())
                .description("Image answers held now (read, decoded, being stored), at most TRAVELART_MAX_IMAGES_IN_MEMORY")
                .register(registry);
    }
}
