package io.travelart.system;

import io.travelart.cli.local.LocalPipeline;

/** The end-to-end scenarios on the embedded stack: in-process Kafka and the Apicurio registry. */
class PipelineEndToEndIT extends EndToEndScenarios {

    @Override
    protected LocalPipeline pipeline() {
        return SharedPipeline.get();
    }
}
