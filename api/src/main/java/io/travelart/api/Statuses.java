package io.travelart.api;

import io.travelart.core.results.RequestStatus;

import java.util.Optional;

/** Where a request is, found from its events (the command's {@code RequestLookup}: no index, no topic read from its start). */
@FunctionalInterface
public interface Statuses {

    Optional<RequestStatus> find(String requestId);
}
