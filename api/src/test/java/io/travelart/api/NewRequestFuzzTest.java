package io.travelart.api;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.travelart.events.RequestBounds;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Coverage-guided fuzzing (Jazzer) of what a client POSTs: any bytes are a request within every bound the prompt-worker
 * checks, with the key's source system, or errors that each name what is wrong; nothing else escapes. {@code mvn verify}
 * replays the committed corpus ({@code src/test/resources/io/travelart/api/NewRequestFuzzTestInputs/});
 * {@code JAZZER_FUZZ=1} fuzzes it.
 */
class NewRequestFuzzTest {

    @FuzzTest(maxDuration = "2m")
    void anyBodyIsARequestWithinItsBoundsOrNamedErrors(byte[] body) {
        NewRequest.Parsed parsed = NewRequest.parse(body, "partner", "01a2460b-ade4-7871-b368-0dbc67a2916f", Instant.EPOCH, 200);
        if (parsed.ok()) {
            assertThat(RequestBounds.problem(parsed.request(), 200)).isEmpty();
            assertThat(parsed.request().getSourceSystem()).isEqualTo("partner");
        } else {
            assertThat(parsed.request()).isNull();
            assertThat(parsed.errors().values()).allSatisfy(m -> assertThat(m).isNotBlank().hasSizeLessThan(2_000));
        }
    }
}
