package io.travelart.core.images;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What each image model accepts, in one place: the prompt-worker checks a request against it before
 * anything is paid for, and the image-worker sends {@code quality} and {@code output_format} only to
 * models that take them. From OpenAI's published API description and model pages (November 2026):
 * <ul>
 *   <li>gpt-image-2 and later: any WIDTHxHEIGHT with both edges divisible by 16, an aspect ratio within
 *       1:3 to 3:1, at most 3840x2160 pixels; quality low/medium/high/auto, and xhigh and max from
 *       gpt-image-2.6; output formats png/jpeg/webp;</li>
 *   <li>earlier GPT image models: 1024x1024, 1536x1024, 1024x1536; quality low/medium/high/auto; output formats;</li>
 *   <li>DALL·E 3: 1024x1024, 1792x1024, 1024x1792; DALL·E 2: 256, 512 or 1024 square; neither takes our
 *       qualities nor an output format;</li>
 *   <li>any other name (an OpenAI-compatible server): any size, and neither parameter is sent;</li>
 *   <li>a ComfyUI workflow (Stable Diffusion): both edges divisible by 8, from 16 to 16384, as ComfyUI's
 *       {@code EmptyLatentImage} node takes them; quality is not sent.</li>
 * </ul>
 */
public final class ImageModels {

    /** The qualities a request or {@code TRAVELART_IMAGE_QUALITY} may name. */
    public static final List<String> QUALITIES = List.of("low", "medium", "high", "xhigh", "max", "auto");
    public static final List<String> FORMATS = List.of("png", "webp", "jpeg");

    private static final Set<String> GPT_IMAGE_1_SIZES = Set.of("1024x1024", "1536x1024", "1024x1536");
    private static final Set<String> DALL_E_3_SIZES = Set.of("1024x1024", "1792x1024", "1024x1792");
    private static final Set<String> DALL_E_2_SIZES = Set.of("256x256", "512x512", "1024x1024");

    /** Sizes a metric may name; a request decides its size, so any other becomes {@code other} (no unbounded series). */
    private static final Set<String> TAGGED_SIZES = Set.of("256x256", "512x512", "768x768", "1024x1024", "1536x1024", "1024x1536",
            "1792x1024", "1024x1792", "1024x768", "768x1024", "2048x2048", "2048x1152", "1152x2048", "3840x2160", "2160x3840");

    private ImageModels() {
    }

    /** The {@code size} tag of a metric: the size itself when it is a common one, else {@code other}. */
    public static String sizeTag(String size) {
        return TAGGED_SIZES.contains(size) ? size : "other";
    }

    /** GPT image models take {@code quality}, {@code output_format} and {@code output_compression}. */
    public static boolean gptImage(String model) {
        return model.startsWith("gpt-image") || model.startsWith("chatgpt-image");
    }

    /** Why the provider's model cannot draw this size, or empty when it can. */
    public static Optional<String> sizeProblem(ImageProvider provider, String model, int width, int height) {
        if (provider == ImageProvider.COMFYUI) {
            String size = width + "x" + height;
            if (width % 8 != 0 || height % 8 != 0) {
                return Optional.of(size + ": Stable Diffusion (ComfyUI) needs both edges divisible by 8");
            }
            if (Math.min(width, height) < 16 || Math.max(width, height) > 16384) {
                return Optional.of(size + ": ComfyUI draws edges from 16 to 16384");
            }
            return Optional.empty();
        }
        return sizeProblem(model, width, height);
    }

    /** Why the OpenAI (or OpenAI-compatible) model cannot draw this size, or empty when it can. */
    public static Optional<String> sizeProblem(String model, int width, int height) {
        String size = width + "x" + height;
        if (model.startsWith("gpt-image-2")) {
            if (width % 16 != 0 || height % 16 != 0) {
                return Optional.of(size + ": " + model + " needs both edges divisible by 16");
            }
            if (width > 3 * height || height > 3 * width) {
                return Optional.of(size + ": " + model + " needs an aspect ratio between 1:3 and 3:1");
            }
            if (Math.max(width, height) > 3840 || (long) width * height > 3840L * 2160) {
                return Optional.of(size + ": " + model + " draws at most 3840x2160 pixels");
            }
            return Optional.empty();
        }
        Set<String> fixed = gptImage(model) ? GPT_IMAGE_1_SIZES : model.startsWith("dall-e-3") ? DALL_E_3_SIZES
                : model.startsWith("dall-e-2") ? DALL_E_2_SIZES : null;
        if (fixed == null || fixed.contains(size)) {
            return Optional.empty();
        }
        return Optional.of(size + ": " + model + " draws " + String.join(", ", fixed.stream().sorted().toList()) + " only");
    }

    /** Why the model does not take this quality, or empty when it does (or takes none, so it is not sent). */
    public static Optional<String> qualityProblem(String model, String quality) {
        if (!QUALITIES.contains(quality)) {
            return Optional.of("quality '" + quality + "' is not one of " + String.join(", ", QUALITIES));
        }
        if (gptImage(model) && !model.startsWith("gpt-image-2.6") && (quality.equals("xhigh") || quality.equals("max"))) {
            return Optional.of("quality '" + quality + "' needs gpt-image-2.6; " + model + " takes low, medium, high or auto");
        }
        return Optional.empty();
    }
}
