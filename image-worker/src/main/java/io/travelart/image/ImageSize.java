package io.travelart.image;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** WIDTHxHEIGHT as the images API names sizes, e.g. 1024x1024. */
public record ImageSize(int width, int height) {

    private static final Pattern FORMAT = Pattern.compile("(\\d{2,5})x(\\d{2,5})");

    public static Optional<ImageSize> parse(String text) {
        if (text == null) {
            return Optional.empty();
        }
        Matcher m = FORMAT.matcher(text.trim());
        return m.matches() ? Optional.of(new ImageSize(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))))
                : Optional.empty();
    }

    @Override
    public String toString() {
        return width + "x" + height;
    }
}
