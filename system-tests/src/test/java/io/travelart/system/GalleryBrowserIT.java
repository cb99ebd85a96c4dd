package io.travelart.system;

import io.travelart.cli.local.LocalPipeline;
import io.travelart.cli.records.RequestPublisher;
import io.travelart.core.metrics.PriceTable;
import io.travelart.events.KeywordRequested;
import io.travelart.gallery.Gallery;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The gallery in a real browser: Debian's Chromium, headless, driven through its ChromeDriver. The page is
 * opened first; then keywords are published (one of them markup, one blank) and the cards must appear
 * without a reload, each image loaded at its natural size, the blank one as a failure card with its code,
 * the markup as text. Keeps a screenshot at {@code target/gallery.png}. Skips, saying why, where Chromium or
 * ChromeDriver is not installed ({@code .ci/run} installs both).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GalleryBrowserIT {

    private static final Duration BOUND = Duration.ofSeconds(60);

    private Gallery gallery;
    private WebDriver browser;
    private Path profile;

    private static Optional<Path> executable(String... names) {
        return Stream.of(names).map(Path::of).filter(Files::isExecutable).findFirst();
    }

    @BeforeAll
    void open() throws Exception {
        Optional<Path> chromium = executable("/usr/bin/chromium", "/usr/bin/chromium-browser");
        Optional<Path> driver = executable("/usr/bin/chromedriver");
        assumeTrue(chromium.isPresent() && driver.isPresent(), "the browser test needs Debian's chromium and chromium-driver "
                + "(/usr/bin/chromium, /usr/bin/chromedriver): apt-get install chromium chromium-driver; .ci/run does");
        LocalPipeline pipeline = SharedPipeline.get();
        gallery = Gallery.start(pipeline.kafka(), pipeline.serde(), pipeline.topics(), PriceTable.parse(""),
                new Gallery.Options("127.0.0.1", 0, 10_000));
        profile = Files.createTempDirectory("travelart-chromium");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(chromium.get().toFile());
        // No background traffic: this machine's network is closed, and the page needs none.
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic",
                "--window-size=1440,1100", "--user-data-dir=" + profile);
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(driver.get().toFile())
                .usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
    }

    @AfterAll
    void close() {
        if (browser != null) {
            browser.quit();
        }
        if (gallery != null) {
            gallery.close();
        }
    }

    private Object js(String script, Object... args) {
        return ((JavascriptExecutor) browser).executeScript(script, args);
    }

    /** The card of a request in a lane, found by its data attribute (no selector built from the id). */
    private static final String CARD = "return [...document.querySelectorAll('#' + arguments[0] + ' > article')]"
            + ".find(a => a.dataset.requestId === arguments[1]) || null;";

    @Test
    void cardsArriveLiveWithTheirImagesLoadedTheFailureWithItsCodeAndMarkupAsText() throws Exception {
        browser.get(gallery.url());
        WebDriverWait wait = new WebDriverWait(browser, BOUND, Duration.ofMillis(100));
        wait.withMessage(() -> "the page shows: " + js("return document.getElementById('live').textContent + ' | ready: ' + "
                + "[...document.querySelectorAll('#ready > article')].slice(0, 8).map(a => a.dataset.requestId + ' '"
                + " + (a.querySelector('img') ? a.querySelector('img').complete + '/' + a.querySelector('img').naturalWidth + ' '"
                + " + a.querySelector('img').src : 'no img')).join(', ') + ' | failed: ' + "
                + "[...document.querySelectorAll('#failed > article')].slice(0, 8).map(a => a.dataset.requestId).join(', ');"));
        wait.until(b -> "live".equals(js("return document.getElementById('live').textContent;")));
        js("window.travelartLoaded = 'first load';");

        String markup = "<script>window.pwned = 1</script><img src=x onerror=\"window.pwned = 2\"> Lisbon";
        Map<String, String> good = new LinkedHashMap<>();
        String blank;
        try (RequestPublisher publisher = SharedPipeline.get().publisher()) {
            for (String keyword : List.of("Kyoto in autumn rain", "겨울밤의 파리", markup)) {
                KeywordRequested request = RequestPublisher.request(keyword, null, "ko-KR", null, "gallery-test");
                publisher.publish(request);
                good.put(request.getRequestId(), keyword);
            }
            KeywordRequested empty = RequestPublisher.request("   ", null, null, null, "gallery-test");
            publisher.publish(empty);
            blank = empty.getRequestId();
        }

        long started = System.nanoTime();
        for (Map.Entry<String, String> entry : good.entrySet()) {
            // The card is there and its image has loaded: complete, with the pixels of a 1024x1024 image.
            wait.until(b -> Boolean.TRUE.equals(js("const card = (function () {" + CARD + "}).apply(null, arguments);"
                    + "const img = card && card.querySelector('img');"
                    + "return !!img && img.complete && img.naturalWidth > 0;", "ready", entry.getKey())));
            @SuppressWarnings("unchecked")
            Map<String, Object> shown = (Map<String, Object>) js("const card = (function () {" + CARD + "}).apply(null, arguments);"
                    + "const img = card.querySelector('img');"
                    + "return {keyword: card.querySelector('.keyword').textContent, naturalWidth: img.naturalWidth,"
                    + " naturalHeight: img.naturalHeight, source: card.textContent.includes('gallery-test')};",
                    "ready", entry.getKey());
            assertThat(shown.get("keyword")).isEqualTo(entry.getValue());
            assertThat(((Number) shown.get("naturalWidth")).intValue()).isEqualTo(1024);
            assertThat(((Number) shown.get("naturalHeight")).intValue()).isEqualTo(1024);
            assertThat(shown.get("source")).isEqualTo(true);
        }
        wait.until(b -> js(CARD, "failed", blank) != null);
        long arrivedMs = (System.nanoTime() - started) / 1_000_000;
        String code = (String) js("return (function () {" + CARD + "}).apply(null, arguments).querySelector('.error-code').textContent;", "failed", blank);
        String replay = (String) js("return (function () {" + CARD + "}).apply(null, arguments).querySelector('.replay').textContent;", "failed", blank);

        byte[] png = ((org.openqa.selenium.TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES);
        Path screenshot = Path.of("target", "gallery.png");
        Files.write(screenshot, png);
        System.out.printf("gallery: %d cards and 1 failure arrived live within %d ms of publishing; screenshot %s%n",
                good.size(), arrivedMs, screenshot.toAbsolutePath());

        assertThat(code).isEqualTo("INVALID_INPUT");
        assertThat(replay).isEqualTo("travelart replay --request-id " + blank + " --include-permanent");
        assertThat(js("return window.travelartLoaded;")).as("the page was not reloaded").isEqualTo("first load");
        assertThat(js("return window.pwned === undefined;")).as("the keyword's markup did not run").isEqualTo(true);
        assertThat(png.length).isGreaterThan(10_000);

        // A filter keeps only what matches, in the page and in what arrives after.
        browser.get(gallery.url() + "?q=" + java.net.URLEncoder.encode("kyoto", java.nio.charset.StandardCharsets.UTF_8));
        @SuppressWarnings("unchecked")
        List<String> keywords = (List<String>) js("return [...document.querySelectorAll('#ready .keyword')].map(k => k.textContent);");
        assertThat(keywords).isNotEmpty().allSatisfy(k -> assertThat(k.toLowerCase()).contains("kyoto"));
        assertThat(js(CARD, "ready", good.keySet().iterator().next())).isNotNull();
    }

    @Test
    void aRequestOnItsWayHasACardThatMovesFromWritingThePromptToDrawingToItsImage() throws Exception {
        browser.get(gallery.url());
        WebDriverWait wait = new WebDriverWait(browser, BOUND, Duration.ofMillis(100));
        wait.until(b -> "live".equals(js("return document.getElementById('live').textContent;")));
        KeywordRequested request = RequestPublisher.request("Hallstatt at blue hour", null, null, null, "gallery-progress");
        // Every look the request's card has in the images' grid, in order: its steps, then its image.
        js("window.watched = arguments[0]; window.steps = [];"
                + "new MutationObserver(() => {"
                + "  const card = [...document.querySelectorAll('#ready > article')].find(a => a.dataset.requestId === window.watched);"
                + "  const look = !card ? null : card.classList.contains('progress') ? card.dataset.step : 'IMAGE';"
                + "  if (look && window.steps[window.steps.length - 1] !== look) window.steps.push(look);"
                + "}).observe(document.getElementById('ready'), {childList: true});", request.getRequestId());

        var simulator = SharedPipeline.get().stack().simulator().orElseThrow();
        var before = simulator.settings();
        // Slow enough that each step is on the page for a while: the prompt 1.5 s, the image 2.5 s.
        simulator.settings(before.withLatency(Duration.ofMillis(1500), Duration.ofMillis(2500)));
        Path screenshot = Path.of("target", "gallery-progress.png");
        try {
            try (RequestPublisher publisher = SharedPipeline.get().publisher()) {
                publisher.publish(request);
            }
            wait.until(b -> "DRAWING".equals(js("return window.steps[window.steps.length - 1];")));
            Files.write(screenshot, ((org.openqa.selenium.TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
            assertThat(js("return document.getElementById('progress-count').textContent;")).isNotEqualTo("0");
            wait.until(b -> Boolean.TRUE.equals(js("const card = (function () {" + CARD + "}).apply(null, arguments);"
                    + "const img = card && card.querySelector('img');"
                    + "return !!img && img.complete && img.naturalWidth > 0;", "ready", request.getRequestId())));
        } finally {
            simulator.settings(before);
        }
        assertThat(js("return window.steps;")).as("the looks of the request's card").isEqualTo(List.of("WRITING_PROMPT", "DRAWING", "IMAGE"));
        assertThat(js("return [...document.querySelectorAll('#ready > article')].filter(a => a.dataset.requestId === arguments[0]).length;",
                request.getRequestId())).as("one card for the request").isEqualTo(1L);
        System.out.printf("gallery: a request's card went %s; screenshot while drawing %s%n", js("return window.steps.join(' -> ');"),
                screenshot.toAbsolutePath());
    }
}
