package io.travelart.core.registry;

import io.travelart.core.config.RegistryConfig;
import io.travelart.core.config.RegistryConfig.Basic;
import io.travelart.core.config.RegistryConfig.ClientCredentials;
import io.travelart.core.config.RegistryConfig.NoCredentials;
import io.travelart.core.config.RegistryConfig.StaticToken;
import io.travelart.core.time.Time;

import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;

/**
 * The {@code Authorization} a registry call carries, from the configured credentials: none, Basic, a static bearer
 * token, or a bearer token from OAuth client credentials ({@link OAuthTokens}). Only the last can be cured when the
 * registry answers 401: the token is dropped and a new one asked for.
 */
final class RegistryLogin {

    private final RegistryConfig.Credentials credentials;
    private final Optional<String> fixed;
    private final OAuthTokens tokens;

    private RegistryLogin(RegistryConfig.Credentials credentials, Optional<String> fixed, OAuthTokens tokens) {
        this.credentials = credentials;
        this.fixed = fixed;
        this.tokens = tokens;
    }

    /** @param timeout of a call to the token endpoint */
    static RegistryLogin of(RegistryConfig config, Time time, Duration timeout) {
        RegistryConfig.Credentials credentials = config.credentials();
        return switch (credentials) {
            case NoCredentials none -> new RegistryLogin(credentials, Optional.empty(), null);
            case Basic(String userInfo) -> new RegistryLogin(credentials, Optional.of("Basic "
                    + Base64.getEncoder().encodeToString(userInfo.getBytes(StandardCharsets.UTF_8))), null);
            case StaticToken(String token) -> new RegistryLogin(credentials, Optional.of("Bearer " + token), null);
            case ClientCredentials oauth -> new RegistryLogin(credentials, Optional.empty(),
                    new OAuthTokens(oauth, HttpClient.newBuilder().connectTimeout(timeout).build(), time, timeout));
        };
    }

    /** The header to send now, if any (asking the identity provider first when a token is due). */
    Optional<String> authorization() {
        return tokens == null ? fixed : Optional.of("Bearer " + tokens.token());
    }

    /**
     * The registry answered 401 to a call that carried {@code authorization}: whether asking again, with a credential
     * asked for anew, may succeed.
     */
    boolean refused(Optional<String> authorization) {
        if (tokens == null || authorization.isEmpty()) {
            return false;
        }
        tokens.refused(authorization.get().substring("Bearer ".length()));
        return true;
    }

    /** What a refusal means for these credentials, for the error a person reads. */
    String describe() {
        return switch (credentials) {
            case NoCredentials none -> "no credentials were sent (set SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO or SCHEMA_REGISTRY_BEARER_AUTH_*)";
            case Basic basic -> "the Basic credentials of SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO were refused";
            case StaticToken token -> "the token of SCHEMA_REGISTRY_BEARER_AUTH_TOKEN was refused";
            case ClientCredentials oauth -> "a fresh token of client " + oauth.clientId() + " was refused";
        };
    }
}
