package io.travelart.devstack.openai;

import java.util.Optional;

/** The simulated account: its key (revoked or not), its quota (exhausted or not) and the models it is served. */
final class Account {

    private final SimulatedModels models;
    private volatile boolean keyRevoked;
    private volatile boolean quotaExhausted;

    Account(SimulatedModels models) {
        this.models = models;
    }

    SimulatedModels models() {
        return models;
    }

    void revokeKey(boolean revoked) {
        this.keyRevoked = revoked;
    }

    void exhaustQuota(boolean exhausted) {
        this.quotaExhausted = exhausted;
    }

    /** 401 for a call without a key, or with the key while it is revoked; empty when the key is taken. */
    Optional<Answer> refusesKey(String authorization) {
        if (authorization == null || !authorization.startsWith("Bearer ") || authorization.length() <= "Bearer ".length()) {
            return Optional.of(Answer.error(401, "invalid_request_error", "invalid_api_key", "You didn't provide an API key."));
        }
        if (keyRevoked) {
            return Optional.of(Answer.error(401, "invalid_request_error", "invalid_api_key",
                    "Incorrect API key provided: sk-****. You can find your API key at https://platform.openai.com/account/api-keys."));
        }
        return Optional.empty();
    }

    /** 404 model_not_found for a model that is unknown or shut down, as OpenAI answers; empty when it is served. */
    Optional<Answer> notServed(String model) {
        if (models.served(model).isPresent()) {
            return Optional.empty();
        }
        return Optional.of(Answer.error(404, "invalid_request_error", "model_not_found",
                "The model `" + model + "` does not exist or you do not have access to it."));
    }

    /** 429 insufficient_quota while the quota is exhausted; empty when a paid call may go on. */
    Optional<Answer> quotaRefusal() {
        if (!quotaExhausted) {
            return Optional.empty();
        }
        return Optional.of(Answer.error(429, "insufficient_quota", "insufficient_quota",
                "You exceeded your current quota, please check your plan and billing details."));
    }
}
