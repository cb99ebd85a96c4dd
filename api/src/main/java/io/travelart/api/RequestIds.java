package io.travelart.api;

import com.fasterxml.uuid.Generators;
import com.fasterxml.uuid.impl.TimeBasedEpochGenerator;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * The ids Travelart gives the requests it publishes: UUIDv7 (RFC 9562), whose first 48 bits are the Unix time in
 * milliseconds, so that an id says when its request was made and a lookup can start there. Ids from upstream systems
 * may be anything; they simply tell no time.
 */
public final class RequestIds {

    private static final TimeBasedEpochGenerator GENERATOR = Generators.timeBasedEpochGenerator();

    private RequestIds() {
    }

    public static String next() {
        return GENERATOR.generate().toString();
    }

    /** When a UUIDv7 id was made; empty for any other id. */
    public static Optional<Instant> madeAt(String requestId) {
        UUID uuid;
        try {
            uuid = UUID.fromString(requestId);
        } catch (IllegalArgumentException notAUuid) {
            return Optional.empty();
        }
        if (uuid.version() != 7 || !requestId.equalsIgnoreCase(uuid.toString())) {
            return Optional.empty();
        }
        return Optional.of(Instant.ofEpochMilli(uuid.getMostSignificantBits() >>> 16));
    }
}
