package io.travelart.core.metrics;


import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What a model costs, for the estimated-cost metric: US dollars per million input and output tokens,
 * and per image and per GPU-second (of the time the server says it ran the job) for image models that report no usage;
 * self-hosted models (ComfyUI) are 0 unless priced here. The defaults are OpenAI's list prices as
 * published in 2026 for the default models (a model is priced by its longest listed prefix, so
 * {@code gpt-image-2.6} prices {@code gpt-image-2.6-flare}); {@code TRAVELART_PRICES} sets others or overrides them, e.g.
 * {@code "gpt-5.4-mini input=0.75 output=4.50; dall-e-3 image=0.04; sd_xl_base_1.0 gpu_second=0.0008"}.
 */
public final class PriceTable {

    /** Prices of one model in USD; a price not known is 0. */
    public record Price(double inputPerMillion, double outputPerMillion, double perImage, double perGpuSecond) {
        public double of(long inputTokens, long outputTokens) {
            return inputTokens * inputPerMillion / 1e6 + outputTokens * outputPerMillion / 1e6;
        }

        /** An image billed without tokens: per image, plus per GPU-second of the time the server ran it (null: not said). */
        public double ofImage(Long computeMs) {
            return perImage + (computeMs == null ? 0 : computeMs / 1000.0 * perGpuSecond);
        }
    }

    /**
     * gpt-image-2.6 (flare and sunburst alike): text input $5.00 and image output $30.00 per million tokens; its image
     * input price ($8.00) is not used, as Travelart sends the image model no images. The older entries stay for whoever
     * still runs those models.
     */
    public static final String DEFAULT_PRICES = "gpt-5.4-mini input=0.75 output=4.50; gpt-image-2.6 input=5.00 output=30.00; "
            + "gpt-image-1-mini input=2.00 output=8.00; dall-e-3 image=0.04";

    private final Map<String, Price> prices;

    private PriceTable(Map<String, Price> prices) {
        this.prices = Map.copyOf(prices);
    }

    /** The defaults with {@code overrides} (the TRAVELART_PRICES format) on top; an entry that is not that format is an IllegalArgumentException. */
    public static PriceTable parse(String overrides) {
        Map<String, Price> prices = new HashMap<>();
        read(DEFAULT_PRICES, prices);
        if (overrides != null) {
            read(overrides, prices);
        }
        return new PriceTable(prices);
    }

    private static void read(String text, Map<String, Price> into) {
        for (String entry : text.split(";")) {
            String[] words = entry.trim().split("\\s+");
            if (words.length == 0 || words[0].isEmpty()) {
                continue;
            }
            double input = 0;
            double output = 0;
            double image = 0;
            double gpuSecond = 0;
            for (int i = 1; i < words.length; i++) {
                String[] kv = words[i].split("=", 2);
                double value;
                try {
                    value = kv.length == 2 ? Double.parseDouble(kv[1]) : Double.NaN;
                } catch (NumberFormatException e) {
                    value = Double.NaN;
                }
                if (Double.isNaN(value) || value < 0) {
                    throw new IllegalArgumentException("'" + words[i] + "' for " + words[0]
                            + " is not input=, output=, image= or gpu_second= with a price in US dollars, e.g. input=0.75");
                }
                switch (kv[0]) {
                    case "input" -> input = value;
                    case "output" -> output = value;
                    case "image" -> image = value;
                    case "gpu_second" -> gpuSecond = value;
                    default -> throw new IllegalArgumentException("'" + kv[0] + "' for " + words[0]
                            + " is not one of input, output (US dollars per million tokens), image (per image) or gpu_second");
                }
            }
            into.put(words[0], new Price(input, output, image, gpuSecond));
        }
    }

    /**
     * The estimated cost of one request's calls: the prompt's tokens at the chat model's price and the image's at the
     * image model's (per image and GPU-second when it reported no tokens). Unknown models cost 0.
     */
    public double requestCost(String promptModel, io.travelart.events.TokenUsage promptUsage, String imageModel,
                              io.travelart.events.TokenUsage imageUsage) {
        return promptCost(promptModel, promptUsage) + imageCost(imageModel, imageUsage, null);
    }

    /** The estimated cost of a finished request; its image at half price when it was drawn in a batch. */
    public double requestCost(io.travelart.events.ImageReady ready) {
        double image = imageCost(ready.getImageModel(), ready.getImageUsage(), ready.getImageComputeMs());
        return promptCost(ready.getPromptModel(), ready.getPromptUsage())
                + (io.travelart.events.Priorities.BATCH.equals(ready.getLane()) ? image / 2 : image);
    }

    /** The estimated cost of writing a prompt: its tokens at the chat model's price. */
    public double promptCost(String model, io.travelart.events.TokenUsage usage) {
        return usage == null ? 0 : of(model).map(p -> p.of(usage.getInputTokens(), usage.getOutputTokens())).orElse(0.0);
    }

    /** The estimated cost of one image at the interactive price; per image and GPU-second when it reported no tokens. */
    public double imageCost(String model, io.travelart.events.TokenUsage usage, Long computeMs) {
        return of(model).map(p -> usage == null ? p.ofImage(computeMs) : p.of(usage.getInputTokens(), usage.getOutputTokens()))
                .orElse(0.0);
    }

    /** The model's price; a dated snapshot ({@code gpt-5.4-mini-2026-03-17}) is priced as its model. */
    public Optional<Price> of(String model) {
        if (model == null) {
            return Optional.empty();
        }
        Price exact = prices.get(model);
        if (exact != null) {
            return Optional.of(exact);
        }
        return prices.entrySet().stream().filter(e -> model.startsWith(e.getKey() + "-"))
                .max(java.util.Comparator.comparingInt(e -> e.getKey().length())).map(Map.Entry::getValue);
    }
}
