package io.travelart.gallery;

import java.util.Locale;

/**
 * What a viewer asked to see: keyword text (contained, any case) and a source system (equal, any case);
 * a blank one lets everything through.
 */
record Filter(String text, String source) {

    static final Filter NONE = new Filter("", "");

    Filter {
        text = text == null ? "" : text.strip();
        source = source == null ? "" : source.strip();
    }

    boolean matches(Shown card) {
        if (!text.isEmpty()) {
            String keyword = card.keyword();
            if (keyword == null || !keyword.toLowerCase(Locale.ROOT).contains(text.toLowerCase(Locale.ROOT))) {
                return false;
            }
        }
        return source.isEmpty() || source.equalsIgnoreCase(card.sourceSystem() == null ? "" : card.sourceSystem());
    }
}
