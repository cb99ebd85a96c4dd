package io.travelart.cli;

/**
 * Text from events as a terminal may be given it: control characters (escape sequences that move the cursor,
 * retitle the window or write the clipboard, and line breaks that forge lines) shown as a backslash, u and four hex digits.
 */
final class Terminal {

    private Terminal() {
    }

    static String safe(String text) {
        if (text == null || text.codePoints().noneMatch(Character::isISOControl)) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length() + 16);
        text.codePoints().forEach(c -> {
            if (Character.isISOControl(c)) {
                out.append(String.format("\\u%04x", c));
            } else {
                out.appendCodePoint(c);
            }
        });
        return out.toString();
    }
}
