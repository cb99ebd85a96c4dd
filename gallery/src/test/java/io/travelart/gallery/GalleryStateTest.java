package io.travelart.gallery;

import io.travelart.core.results.RequestResult;
import io.travelart.events.ImageReady;
import io.travelart.events.KeywordRequested;
import io.travelart.events.PromptCreated;
import io.travelart.events.RequestBounds;
import io.travelart.events.RequestFailed;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class GalleryStateTest {

    static KeywordRequested request(String id, String keyword, String source) {
        return KeywordRequested.newBuilder().setRequestId(id).setKeyword(keyword).setSourceSystem(source)
                .setRequestedAt(Instant.parse("2026-11-26T10:00:00Z")).setAttributes(Map.of()).build();
    }

    static RequestResult ready(String id, String keyword, String source, String url) {
        return new RequestResult.Ready(ImageReady.newBuilder().setRequestId(id).setRequest(request(id, keyword, source))
                .setPrompt("Concept art of " + keyword).setImageUrl(url).setContentType("image/png").setSizeBytes(1234)
                .setSha256("ab".repeat(32)).setWidth(1024).setHeight(1024).setPromptModel("gpt-5.4-mini")
                .setImageModel("gpt-image-2.6-flare").setPromptLatencyMs(400).setImageLatencyMs(2600)
                .setCreatedAt(Instant.parse("2026-11-26T10:00:03.2Z")).build());
    }

    static RequestResult failed(String id, String keyword, String code, boolean retriable) {
        return new RequestResult.Failed(RequestFailed.newBuilder().setRequestId(id).setKeyword(keyword).setStage("PROMPT")
                .setErrorCode(code).setMessage("it failed").setRetriable(retriable).setAttempts(1)
                .setFirstFailureAt(Instant.parse("2026-11-26T10:00:01Z")).setLastFailureAt(Instant.parse("2026-11-26T10:00:01Z"))
                .setOriginTopic("keyword-requested").setOriginPartition(0).setOriginOffset(7).setOriginalHeaders(List.of()).build());
    }

    @Test
    void lanesAreNewestFirstAndAnImageTakesItsRequestOutOfTheFailures() {
        GalleryState state = new GalleryState(100);
        List<Shown> told = new ArrayList<>();
        state.listen(told::add);
        state.add(failed("r1", "Paris", "UPSTREAM_5XX", true), null);
        state.add(ready("r2", "Kyoto", "web", "http://x/2"), "web");
        state.add(ready("r3", "Seoul", "batch", "http://x/3"), "batch");

        assertThat(state.page(true, Filter.NONE, Long.MAX_VALUE, 10)).extracting(Card::key).containsExactly("r3", "r2");
        assertThat(state.page(false, Filter.NONE, Long.MAX_VALUE, 10)).extracting(Card::key).containsExactly("r1");

        state.add(ready("r1", "Paris", "web", "http://x/1"), "web"); // replayed, now ready
        assertThat(state.page(false, Filter.NONE, Long.MAX_VALUE, 10)).isEmpty();
        assertThat(state.page(true, Filter.NONE, Long.MAX_VALUE, 10)).extracting(Card::key).containsExactly("r1", "r3", "r2");
        assertThat(told).extracting(Shown::seq).containsExactly(1L, 2L, 3L, 4L);
    }

    static PromptCreated prompted(String id, String keyword, String priority) {
        KeywordRequested request = KeywordRequested.newBuilder(request(id, keyword, "web")).setPriority(priority).build();
        return PromptCreated.newBuilder().setRequestId(id).setRequest(request).setPrompt("Concept art of " + keyword)
                .setModel("gpt-5.4-mini").setPromptLatencyMs(400).setCreatedAt(Instant.parse("2026-11-26T10:00:00.4Z")).build();
    }

    @Test
    void aRequestOnItsWayMovesFromWritingThePromptToDrawingAndItsResultTakesItsPlace() {
        GalleryState state = new GalleryState(100);
        List<Shown> told = new ArrayList<>();
        state.listen(told::add);

        assertThat(state.asked(request("r1", "Kyoto", "web"))).hasValueSatisfying(p -> assertThat(p.step()).isEqualTo(Progress.Step.WRITING_PROMPT));
        assertThat(state.prompted(prompted("r1", "Kyoto", null))).hasValueSatisfying(p -> {
            assertThat(p.step()).isEqualTo(Progress.Step.DRAWING);
            assertThat(p.prompt()).isEqualTo("Concept art of Kyoto");
        });
        assertThat(state.progress(Filter.NONE, 10)).extracting(Progress::step).containsExactly(Progress.Step.DRAWING);
        assertThat(state.prompted(prompted("r2", "Seoul", "batch"))).hasValueSatisfying(p ->
                assertThat(p.step()).isEqualTo(Progress.Step.WAITING_FOR_BATCH));

        state.add(ready("r1", "Kyoto", "web", "http://x/1"), "web");
        state.add(failed("r2", "Seoul", "BATCH_EXPIRED", true), "web");
        assertThat(state.progress(Filter.NONE, 10)).isEmpty();
        assertThat(told).extracting(Shown::key).containsExactly("r1", "r1", "r2", "r1", "r2");
        assertThat(state.since(0, Filter.NONE)).extracting(Shown::seq).containsExactly(4L, 5L);
    }

    @Test
    void anEarlierStepReadAfterTheResultMakesNoCard() {
        // The topics are read in no order between them: while catching up, a result may come before its request.
        GalleryState state = new GalleryState(100);
        state.add(ready("r1", "Kyoto", "web", "http://x/1"), "web");
        assertThat(state.prompted(prompted("r1", "Kyoto", null))).isEmpty();
        assertThat(state.asked(request("r1", "Kyoto", "web"))).isEmpty();
        // And a step read after a later one does not take the card back.
        state.prompted(prompted("r2", "Seoul", null));
        assertThat(state.asked(request("r2", "Seoul", "web"))).isEmpty();
        assertThat(state.progress(Filter.NONE, 10)).extracting(Progress::key, Progress::step)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("r2", Progress.Step.DRAWING));
    }

    @Test
    void whatAHostileWriterPutsOnKeywordRequestedIsHeldCutOrNotAtAll() {
        GalleryState state = new GalleryState(100);
        assertThat(state.asked(request("not an id\n" + "x".repeat(500), "Kyoto", "web"))).isEmpty();
        Progress card = state.asked(request("r1", "k".repeat(900_000), "s".repeat(10_000))).orElseThrow();
        assertThat(card.keyword()).hasSize(RequestBounds.KEYWORD_MAX + 1);
        assertThat(card.sourceSystem()).hasSize(RequestBounds.SOURCE_SYSTEM_MAX + 1);
    }

    @Test
    void pagesGoBackwardsFromACursorAndFiltersMatchKeywordTextAndSource() {
        GalleryState state = new GalleryState(1000);
        for (int i = 1; i <= 150; i++) {
            state.add(ready("r" + i, (i % 2 == 0 ? "Kyoto " : "Paris ") + i, i % 3 == 0 ? "catalogue" : "web", "http://x/" + i), i % 3 == 0 ? "catalogue" : "web");
        }
        List<Card> first = state.page(true, Filter.NONE, Long.MAX_VALUE, 60);
        assertThat(first).hasSize(60);
        assertThat(first.get(0).key()).isEqualTo("r150");
        List<Card> second = state.page(true, Filter.NONE, first.get(59).seq(), 60);
        assertThat(second.get(0).key()).isEqualTo("r90");
        assertThat(state.page(true, Filter.NONE, second.get(59).seq(), 60)).hasSize(30);

        Filter kyoto = new Filter("kYoTo", "");
        assertThat(state.page(true, kyoto, Long.MAX_VALUE, 500)).hasSize(75).allSatisfy(c -> assertThat(c.keyword()).startsWith("Kyoto"));
        Filter catalogue = new Filter("", "Catalogue");
        assertThat(state.page(true, catalogue, Long.MAX_VALUE, 500)).hasSize(50);
        assertThat(state.count(true, new Filter("kyoto", "catalogue"))).isEqualTo(25);
        assertThat(state.since(140, Filter.NONE)).extracting(Shown::key).containsExactly("r141", "r142", "r143", "r144", "r145",
                "r146", "r147", "r148", "r149", "r150");
    }

    @Test
    void onlyTheNewestKeepAreHeld() {
        GalleryState state = new GalleryState(3);
        for (int i = 1; i <= 5; i++) {
            state.add(ready("r" + i, "k" + i, null, "http://x/" + i), null);
        }
        assertThat(state.page(true, Filter.NONE, Long.MAX_VALUE, 10)).extracting(Card::key).containsExactly("r5", "r4", "r3");
        // A forgotten request that comes again is simply new.
        state.add(ready("r1", "k1", null, "http://x/1"), null);
        assertThat(state.page(true, Filter.NONE, Long.MAX_VALUE, 10)).extracting(Card::key).containsExactly("r1", "r5", "r4");
    }
}
