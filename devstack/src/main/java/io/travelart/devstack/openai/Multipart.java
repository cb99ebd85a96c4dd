package io.travelart.devstack.openai;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The parts of a {@code multipart/form-data} body, as the Files API's upload sends them. */
final class Multipart {

    private static final Pattern FIELD = Pattern.compile("name=\"([^\"]*)\"(?:; *filename=\"([^\"]*)\")?");

    private Multipart() {
    }

    /** The parts of a multipart/form-data body: each field's bytes, and each file field's file name. */
    static void parts(byte[] body, String boundary, Map<String, byte[]> fields, Map<String, String> filenames) {
        byte[] delimiter = ("--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
        int at = indexOf(body, delimiter, 0);
        while (at >= 0) {
            int start = at + delimiter.length;
            if (start + 1 < body.length && body[start] == '-' && body[start + 1] == '-') {
                return;
            }
            start += 2; // CRLF after the delimiter
            int headersEnd = indexOf(body, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), start);
            int next = indexOf(body, delimiter, start);
            if (headersEnd < 0 || next < 0) {
                return;
            }
            String headers = new String(body, start, headersEnd - start, StandardCharsets.UTF_8);
            int contentEnd = next - 2; // CRLF before the next delimiter
            Matcher field = FIELD.matcher(headers);
            if (field.find() && contentEnd >= headersEnd + 4) {
                fields.put(field.group(1), Arrays.copyOfRange(body, headersEnd + 4, contentEnd));
                if (field.group(2) != null) {
                    filenames.put(field.group(1), field.group(2));
                }
            }
            at = next;
        }
    }

    private static int indexOf(byte[] data, byte[] pattern, int from) {
        outer:
        for (int i = Math.max(0, from); i <= data.length - pattern.length; i++) {
            for (int j = 0; j < pattern.length; j++) {
                if (data[i + j] != pattern[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
