package io.travelart.webhook;

import java.net.URI;

/**
 * Where one source system's events are delivered, and the secret they are signed with. Endpoints come only from
 * configuration ({@link Endpoints}), never from an event.
 *
 * @param secret the key of the HMAC: the bytes the {@code whsec_} secret's base64 stands for
 */
public record Endpoint(String sourceSystem, URI url, byte[] secret) {

    /** The endpoint's scheme, host and port: what logs and the delivery log show, never the path or query (a token may be there). */
    public String origin() {
        return url.getScheme() + "://" + url.getHost() + (url.getPort() < 0 ? "" : ":" + url.getPort());
    }

    @Override
    public String toString() {
        return sourceSystem + " -> " + origin();
    }
}
