package io.travelart.devstack.image;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;

/**
 * Draws a real PNG from a prompt: a sky gradient and a skyline whose colours and shapes come from the
 * prompt's hash, a sun or moon by time of day, and the prompt's first words. Different prompts give
 * different images; the same prompt gives the same bytes.
 *
 * <p>{@link ImageDetail#REALISTIC} (the default) adds film grain, noise that no encoder can squeeze, so that a
 * PNG weighs what a model's does (a 1024x1024 PNG about 2.4 MB, a JPEG about 0.2 MB): memory and transfer are
 * then measured against real sizes. {@link ImageDetail#PLAIN} leaves the flat picture (tens of KB), for tests that
 * need speed rather than weight. WebP stays one colour at either setting (see {@link SolidWebp}).
 */
public final class ImageRenderer {

    /** Grain amplitude: each channel of each pixel moves by up to this either way (about 5.6 bits of noise per channel). */
    private static final int GRAIN = 24;

    private ImageRenderer() {
    }

    public static byte[] renderPng(String prompt, int width, int height) {
        return render(prompt, 0, width, height, "png", ImageDetail.PLAIN);
    }

    /**
     * The picture as {@code png}, {@code jpeg} or {@code webp} (the images API's output formats), with a sampler's
     * seed: the same prompt, seed and detail give the same bytes.
     */
    public static byte[] render(String prompt, long seed, int width, int height, String format, ImageDetail detail) {
        Random random = new Random(seed(prompt) ^ seed);
        String lower = prompt.toLowerCase();
        boolean night = lower.contains("night") || lower.contains("midnight") || lower.contains("moon");
        float hue = random.nextFloat();
        Color top = Color.getHSBColor(hue, 0.55f, night ? 0.18f : 0.85f);
        Color bottom = Color.getHSBColor((hue + 0.12f) % 1f, 0.45f, night ? 0.35f : 0.98f);

        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setPaint(new GradientPaint(0, 0, top, 0, height, bottom));
            g.fillRect(0, 0, width, height);

            g.setColor(night ? new Color(245, 245, 220) : new Color(255, 220, 120));
            int sun = width / 8;
            g.fillOval(random.nextInt(Math.max(1, width - sun)), height / 10 + random.nextInt(height / 5), sun, sun);

            int horizon = height * 2 / 3;
            Color building = Color.getHSBColor((hue + 0.5f) % 1f, 0.35f, night ? 0.12f : 0.35f);
            for (int x = 0; x < width; ) {
                int w = width / 30 + random.nextInt(width / 12);
                int h = height / 12 + random.nextInt(height / 3);
                g.setColor(random.nextBoolean() ? building : building.darker());
                g.fillRect(x, horizon - h, w, height - horizon + h);
                if (night) {
                    g.setColor(new Color(255, 210, 120));
                    for (int i = 0; i < h / 40; i++) {
                        g.fillRect(x + 4 + random.nextInt(Math.max(1, w - 10)), horizon - h + 8 + random.nextInt(Math.max(1, h)), 5, 7);
                    }
                }
                x += w + random.nextInt(6);
            }
            g.setColor(new Color(0, 0, 0, 90));
            g.setStroke(new BasicStroke(3));
            g.drawLine(0, horizon + height / 10, width, horizon + height / 10);

            g.setColor(Color.WHITE);
            Font font = new Font(Font.SANS_SERIF, Font.BOLD, Math.max(12, width / 40));
            g.setFont(font);
            int y = height - height / 8;
            // Without a CJK font installed, such glyphs would be drawn as boxes: leave them out.
            String drawable = prompt.codePoints().filter(font::canDisplay)
                    .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
            for (String line : wrap(drawable, 48, 2)) {
                g.drawString(line, width / 20, y);
                y += width / 32;
            }
        } finally {
            g.dispose();
        }
        if (detail == ImageDetail.REALISTIC) {
            grain(image, new SplittableRandom(seed(prompt) ^ seed ^ 0x9e3779b97f4a7c15L));
        }
        if (format.equals("webp")) {
            return SolidWebp.encode(width, height, top.getRGB());
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(detail == ImageDetail.REALISTIC ? width * height * 3 : 64 * 1024);
        try {
            ImageIO.write(image, format.equals("jpeg") ? "jpg" : "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Adds noise to every channel of every pixel, row by row. */
    private static void grain(BufferedImage image, SplittableRandom random) {
        int width = image.getWidth();
        int[] row = new int[width];
        for (int y = 0; y < image.getHeight(); y++) {
            image.getRGB(0, y, width, 1, row, 0, width);
            for (int x = 0; x < width; x++) {
                int rgb = row[x];
                int r = clamp(((rgb >> 16) & 0xff) + random.nextInt(-GRAIN, GRAIN + 1));
                int g = clamp(((rgb >> 8) & 0xff) + random.nextInt(-GRAIN, GRAIN + 1));
                int b = clamp((rgb & 0xff) + random.nextInt(-GRAIN, GRAIN + 1));
                row[x] = (r << 16) | (g << 8) | b;
            }
            image.setRGB(0, y, width, 1, row, 0, width);
        }
    }

    private static int clamp(int channel) {
        return Math.max(0, Math.min(255, channel));
    }

    private static List<String> wrap(String text, int width, int maxLines) {
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String word : text.split("\\s+")) {
            if (line.length() + word.length() + 1 > width) {
                lines.add(line.toString());
                line.setLength(0);
                if (lines.size() == maxLines) {
                    return lines;
                }
            }
            if (line.length() > 0) {
                line.append(' ');
            }
            line.append(word);
        }
        if (line.length() > 0 && lines.size() < maxLines) {
            lines.add(line.toString());
        }
        return lines;
    }

    private static long seed(String prompt) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(prompt.getBytes(StandardCharsets.UTF_8));
            long seed = 0;
            for (int i = 0; i < 8; i++) {
                seed = (seed << 8) | (digest[i] & 0xff);
            }
            return seed;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
