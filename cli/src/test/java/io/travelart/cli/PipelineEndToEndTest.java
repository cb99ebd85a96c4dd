package io.travelart.cli;

/** The end-to-end scenarios on the embedded stack: in-process Kafka and the Apicurio registry. */
class PipelineEndToEndTest extends EndToEndScenarios {

    @Override
    protected LocalPipeline pipeline() {
        return SharedPipeline.get();
    }
}
