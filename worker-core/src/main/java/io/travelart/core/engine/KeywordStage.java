package io.travelart.core.engine;

import io.travelart.core.failure.StageNames;

import io.travelart.events.KeywordRequested;
import org.apache.avro.specific.SpecificRecord;

/** A stage reading keyword-requested: the first stage of the pipeline, PROMPT in failure events. */
public abstract class KeywordStage<O extends SpecificRecord> implements Stage<KeywordRequested, O> {

    @Override
    public String name() {
        return StageNames.PROMPT;
    }

    @Override
    public Class<KeywordRequested> inputType() {
        return KeywordRequested.class;
    }

    @Override
    public String requestId(KeywordRequested input) {
        return input.getRequestId();
    }

    @Override
    public String keyword(KeywordRequested input) {
        return input.getKeyword();
    }
}
