package io.travelart.devstack.openai;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Map;
import java.util.Set;

/**
 * What the images API accepts per model, checked as the provider does (a 400 naming the parameter),
 * and how many output tokens an image costs. From OpenAI's published API description and model pages:
 * GPT image models take {@code quality} low/medium/high/auto (gpt-image-2.6 adds xhigh and max),
 * {@code output_format} png/jpeg/webp and {@code output_compression} with jpeg or webp, and return base64
 * only; gpt-image-2 and later take any WIDTHxHEIGHT with both edges divisible by 16, an aspect ratio
 * within 1:3 to 3:1 and at most 3840x2160 pixels, earlier GPT image models three sizes; DALL·E models
 * take their own qualities and sizes and no output format.
 */
final class ImageParameters {

    private static final Set<String> GPT_IMAGE_1_SIZES = Set.of("1024x1024", "1536x1024", "1024x1536");
    private static final Set<String> DALL_E_3_SIZES = Set.of("1024x1024", "1792x1024", "1024x1792");
    private static final Set<String> DALL_E_2_SIZES = Set.of("256x256", "512x512", "1024x1024");
    /** Output tokens of a 1024x1024 image per quality: about 0.6 to 21 US cents at $30 per million, low to max. */
    private static final Map<String, Long> TOKENS_1024 = Map.of("low", 208L, "medium", 1056L, "high", 4160L,
            "xhigh", 5440L, "max", 7000L);

    private ImageParameters() {
    }

    /** Why the provider would refuse these parameters, or null when it accepts them. */
    static String invalid(String model, JsonNode body, int width, int height) {
        String quality = text(body, "quality");
        String format = text(body, "output_format");
        boolean compression = body.has("output_compression") && !body.get("output_compression").isNull();
        String size = width + "x" + height;
        if (model.startsWith("dall-e")) {
            boolean three = model.startsWith("dall-e-3");
            if (quality != null && !(three ? Set.of("standard", "hd") : Set.of("standard")).contains(quality)) {
                return "Invalid value for 'quality': '" + quality + "' is not supported with " + model + ".";
            }
            if (format != null || compression) {
                return "'output_format' and 'output_compression' are only supported for the GPT image models.";
            }
            if (!(three ? DALL_E_3_SIZES : DALL_E_2_SIZES).contains(size)) {
                return "Invalid value for 'size': '" + size + "' is not supported with " + model + ".";
            }
            return null;
        }
        if (!gptImage(model)) {
            return null; // a model added by a test: anything goes
        }
        boolean generation2 = model.startsWith("gpt-image-2");
        Set<String> qualities = model.startsWith("gpt-image-2.6") ? Set.of("low", "medium", "high", "xhigh", "max", "auto")
                : Set.of("low", "medium", "high", "auto");
        if (quality != null && !qualities.contains(quality)) {
            return "Invalid value for 'quality': '" + quality + "'. Supported values are: " + String.join(", ", qualities.stream().sorted().toList()) + ".";
        }
        if (format != null && !Set.of("png", "jpeg", "webp").contains(format)) {
            return "Invalid value for 'output_format': '" + format + "'. Supported values are: 'png', 'jpeg' and 'webp'.";
        }
        if (compression) {
            int value = body.get("output_compression").asInt(-1);
            if (format == null || format.equals("png")) {
                return "'output_compression' is only supported with the 'jpeg' and 'webp' output formats.";
            }
            if (value < 0 || value > 100) {
                return "Invalid value for 'output_compression': it must be between 0 and 100.";
            }
        }
        if (body.has("response_format") && !body.get("response_format").isNull()) {
            return "Unknown parameter: 'response_format'. GPT image models always return base64-encoded images.";
        }
        if (generation2) {
            return flexibleSizeProblem(width, height);
        }
        return GPT_IMAGE_1_SIZES.contains(size) ? null
                : "Invalid value for 'size': '" + size + "'. Supported values are: '1024x1024', '1024x1536', '1536x1024' and 'auto'.";
    }

    static boolean gptImage(String model) {
        return model.startsWith("gpt-image") || model.startsWith("chatgpt-image");
    }

    private static String flexibleSizeProblem(int width, int height) {
        if (width % 16 != 0 || height % 16 != 0) {
            return "Invalid value for 'size': width and height must both be divisible by 16.";
        }
        if (width > 3 * height || height > 3 * width) {
            return "Invalid value for 'size': the aspect ratio must be between 1:3 and 3:1.";
        }
        if (Math.max(width, height) > 3840 || (long) width * height > 3840L * 2160) {
            return "Invalid value for 'size': the maximum supported resolution is 3840x2160.";
        }
        return null;
    }

    /** Output tokens billed for an image: the 1024x1024 figure of its quality, scaled by its pixels. */
    static long outputTokens(String quality, int width, int height) {
        long base = TOKENS_1024.getOrDefault(quality, TOKENS_1024.get("medium"));
        return Math.max(1, Math.round(base * ((double) width * height / (1024.0 * 1024.0))));
    }

    private static String text(JsonNode body, String field) {
        JsonNode value = body.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }
}
