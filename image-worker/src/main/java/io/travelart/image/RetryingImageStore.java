package io.travelart.image;

import io.travelart.core.call.RetryPolicy;
import io.travelart.core.failure.CallFailedException;
import io.travelart.core.failure.ErrorClassifier;
import io.travelart.core.failure.ErrorCodes;
import io.travelart.core.failure.Failure;

import java.time.Duration;
import java.util.Optional;

/**
 * A store whose reads and writes are tried again, with the worker's retry policy, while the store is
 * away: an image that was paid for is written again from the bytes held in memory instead of being
 * bought again, and a request is not failed for a store that comes back within its budget. What still
 * fails is thrown as a {@link CallFailedException} with code {@code STORAGE} (retriable: a replay tries again).
 */
public final class RetryingImageStore implements ImageStore {

    /** Every failure of a store is taken as transient: a wrong bucket or key stops the worker at start instead. */
    public static final ErrorClassifier ERRORS = new ErrorClassifier() {
        @Override
        public Failure classify(Throwable error) {
            return Failure.retriable(ErrorCodes.STORAGE, "image store: " + error.getMessage());
        }

        @Override
        public Optional<Duration> retryAfter(Throwable error) {
            return Optional.empty();
        }
    };

    private final ImageStore store;
    private final RetryPolicy retry;

    /** @param retry a policy built with {@link #ERRORS} */
    public RetryingImageStore(ImageStore store, RetryPolicy retry) {
        this.store = store;
        this.retry = retry;
    }

    @Override
    public StoredImage put(String requestId, byte[] bytes, ImageFormat format) {
        return retry.call(() -> store.put(requestId, bytes, format));
    }

    @Override
    public Optional<StoredImage> find(String requestId) {
        return retry.call(() -> store.find(requestId));
    }

    @Override
    public void close() {
        store.close();
    }
}
