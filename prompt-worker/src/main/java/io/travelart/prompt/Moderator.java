package io.travelart.prompt;

import io.travelart.events.KeywordRequested;

import java.util.List;

/** The free check before anything is paid for: which content categories a request's keyword and style are flagged for. */
@FunctionalInterface
public interface Moderator {

    /** A moderator that flags nothing, for {@code TRAVELART_MODERATION=false}. */
    Moderator OFF = request -> List.of();

    /** The flagged categories (e.g. {@code violence}); empty when nothing is flagged. Blocking; throws the provider's exceptions. */
    List<String> flagged(KeywordRequested request);
}
