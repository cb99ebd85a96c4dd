package io.travelart.gallery;

import java.net.URI;
import java.util.Locale;

/** Text made safe for HTML: everything the gallery shows from an event goes through here. */
final class Html {

    private Html() {
    }

    /** Escapes text for an element's content or a quoted attribute value. */
    static String escape(String text) {
        if (text == null) {
            return "";
        }
        StringBuilder out = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                // Line breaks become spaces: a card is one line, which is what a server-sent event's data line needs.
                case '\n', '\r' -> out.append(' ');
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    /** An http(s) URL for a src or href, or null: an event naming a javascript: or data: URL gets no link. */
    static String url(String text) {
        if (text == null) {
            return null;
        }
        try {
            String scheme = URI.create(text.strip()).getScheme();
            return scheme != null && (scheme.toLowerCase(Locale.ROOT).equals("http") || scheme.toLowerCase(Locale.ROOT).equals("https"))
                    ? escape(text.strip()) : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
