package io.travelart.core.openai;

import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.travelart.core.json.Json;
import com.openai.client.OpenAIClient;
import com.openai.core.ObjectMappers;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import io.travelart.devstack.openai.OpenAiSimulator;
import io.travelart.devstack.openai.SimulatorSettings;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;

/** The SDK client as Travelart builds it: Jackson's buffers come from a pool the calls share, not one set per thread. */
class OpenAiClientsTest {

    private static final ChatCompletionCreateParams PARAMS = ChatCompletionCreateParams.builder()
            .model("gpt-5.4-mini").addUserMessage("<keyword>Lisbon at dusk</keyword>").build();

    @Test
    void callsOnVirtualThreadsGiveTheirBuffersBackToTheSharedPool() throws Exception {
        assertThat(OpenAiClients.jsonMapper().getFactory()._getRecyclerPool()).isSameAs(Json.BUFFERS);
        // A pool of its own, so that what it holds is this test's calls' alone.
        JsonMapper mapper = OpenAiClients.jsonMapper();
        mapper.getFactory().setRecyclerPool(JsonRecyclerPools.newConcurrentDequePool());
        try (OpenAiSimulator simulator = OpenAiSimulator.start(SimulatorSettings.instant())) {
            OpenAIClient client = OpenAiClients.create(
                    new OpenAiConfig(Optional.of("sk-test"), simulator.baseUrl(), Duration.ofSeconds(10), true), 8, mapper);
            List<Thread> calls = new ArrayList<>();
            List<ChatCompletion> answers = java.util.Collections.synchronizedList(new ArrayList<>());
            CountDownLatch done = new CountDownLatch(8);
            CountDownLatch release = new CountDownLatch(1);
            for (int i = 0; i < 8; i++) {
                calls.add(Thread.ofVirtual().start(() -> {
                    answers.add(client.chat().completions().create(PARAMS));
                    done.countDown();
                    // The call's thread lives on, as one waiting for a slow provider would: its buffers must not.
                    await(release);
                }));
            }
            done.await();
            assertThat(answers).hasSize(8).allSatisfy(a -> assertThat(a.choices()).isNotEmpty());
            int pooled = mapper.getFactory()._getRecyclerPool().pooledCount();
            release.countDown();
            for (Thread call : calls) {
                call.join();
            }
            // With a thread-local pool (Jackson's default, and the SDK's), nothing is pooled and each thread holds its own.
            client.close();
            assertThat(pooled).as("buffer sets back in the shared pool while the calls' threads still live").isBetween(1, 8);
        }
    }

    @Test
    void theMapperWritesWhatTheSdksOwnWrites() throws Exception {
        assertThat(OpenAiClients.jsonMapper().writeValueAsString(PARAMS._body()))
                .isEqualTo(ObjectMappers.jsonMapper().writeValueAsString(PARAMS._body()));
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
