package io.travelart.image.openai;

import com.fasterxml.jackson.core.Base64Variant;
import com.fasterxml.jackson.core.Base64Variants;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.openai.errors.OpenAIInvalidDataException;
import com.openai.errors.OpenAIIoException;
import io.travelart.core.json.Json;
import io.travelart.events.TokenUsage;

import java.io.CharConversionException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * An images answer ({@code POST /v1/images/generations}) read as it arrives: the first image's base64 is decoded
 * straight from the connection into its bytes, never held as text. The SDK's own parse holds a 1024x1024 PNG as a
 * 3.2 MB string, built in the parser's character buffers (two bytes a character) and copied into its models before
 * it is decoded: it allocated 56 MB for an image of 2.4 MB. Read here, 4.8 MB: the image's blocks as they are
 * decoded, then its array ({@code ImagesAnswerTest} measures both).
 *
 * <p>What a server may send, it may send in any order, with fields we do not read (skipped, however deep), more images
 * than asked for (the first is kept) and {@code null} for absent fields. What we do not take: an image larger than
 * {@code maxImageBytes} decoded, a text field (revised prompt, URL) over {@link #MAX_TEXT_CHARS}, anything that is not
 * JSON. Those are {@link OpenAIInvalidDataException}s (the answer could not be read, a retriable failure); a broken
 * connection while reading is an {@link OpenAIIoException} (a network failure), as the SDK's own parse would say.
 *
 * @param image         the decoded image, or null when the answer gives a URL instead
 * @param url           where the image can be fetched, or null
 * @param revisedPrompt the prompt as the model rewrote it, or null
 * @param usage         tokens, when the answer has OpenAI's usage (input, output and total as integers); else null
 */
public record ImagesAnswer(byte[] image, String url, String revisedPrompt, TokenUsage usage) {

    /** The longest revised prompt or URL taken: the SDK's JSON limit would let one of 20 million characters through. */
    public static final int MAX_TEXT_CHARS = 1 << 20;

    /** Standard base64 as OpenAI sends it; its padding taken or not, as Java's decoder (which read these before) takes it. */
    private static final Base64Variant BASE64 = Base64Variants.MIME_NO_LINEFEEDS.withReadPadding(Base64Variant.PaddingReadBehaviour.PADDING_ALLOWED);

    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(MAX_TEXT_CHARS).maxNestingDepth(64).build())
            .recyclerPool(Json.BUFFERS)
            .build();

    /**
     * @param body          the answer's body, read to the end of its JSON object, then closed
     * @param maxImageBytes the largest image taken, decoded
     */
    public static ImagesAnswer read(InputStream body, long maxImageBytes) {
        try (JsonParser json = JSON.createParser(body)) {
            return read(json, maxImageBytes);
        } catch (JsonProcessingException e) {
            throw new OpenAIInvalidDataException("the images answer is not valid JSON: " + e.getOriginalMessage(), e);
        } catch (CharConversionException e) {
            // Bytes that are not text in the encoding the answer's first bytes declare (Jackson detects UTF-16 and -32 too).
            throw new OpenAIInvalidDataException("the images answer is not valid text: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new OpenAIIoException("reading the images answer failed: " + e.getMessage(), e);
        }
    }

    /** An answer already parsed, as a batch output line's body is: {@code body.traverse()}. */
    public static ImagesAnswer read(JsonParser json, long maxImageBytes) throws IOException {
        try (json) {
            if (json.nextToken() != JsonToken.START_OBJECT) {
                throw invalid("the images answer is not a JSON object");
            }
            Reading reading = new Reading(maxImageBytes);
            while (json.nextToken() == JsonToken.FIELD_NAME) {
                String field = json.currentName();
                json.nextToken();
                switch (field) {
                    case "data" -> reading.data(json);
                    case "usage" -> reading.usage(json);
                    default -> json.skipChildren();
                }
            }
            if (!reading.sawImage) {
                throw invalid("the images answer holds no image");
            }
            if (reading.image == null && reading.url == null) {
                throw invalid("the image has neither b64_json nor url");
            }
            return new ImagesAnswer(reading.image, reading.url, reading.revisedPrompt, reading.usage);
        }
    }

    private static OpenAIInvalidDataException invalid(String message) {
        return new OpenAIInvalidDataException(message);
    }

    /** What has been read so far. */
    private static final class Reading {
        private final long maxImageBytes;
        private boolean sawImage;
        private byte[] image;
        private String url;
        private String revisedPrompt;
        private TokenUsage usage;

        Reading(long maxImageBytes) {
            this.maxImageBytes = maxImageBytes;
        }

        /** {@code data}: an array of images, of which the first is ours. */
        void data(JsonParser json) throws IOException {
            if (json.currentToken() == JsonToken.VALUE_NULL) {
                return;
            }
            if (json.currentToken() != JsonToken.START_ARRAY) {
                throw invalid("the images answer's data is not an array");
            }
            while (json.nextToken() != JsonToken.END_ARRAY) {
                if (sawImage) {
                    json.skipChildren();
                } else if (json.currentToken() == JsonToken.START_OBJECT) {
                    sawImage = true;
                    image(json);
                } else {
                    throw invalid("an image of the answer is not an object");
                }
            }
        }

        private void image(JsonParser json) throws IOException {
            while (json.nextToken() == JsonToken.FIELD_NAME) {
                String field = json.currentName();
                JsonToken value = json.nextToken();
                if (value == JsonToken.VALUE_NULL) {
                    continue;
                }
                switch (field) {
                    case "b64_json" -> image = decoded(json);
                    case "url" -> url = text(json, field);
                    case "revised_prompt" -> revisedPrompt = text(json, field);
                    default -> json.skipChildren();
                }
            }
        }

        private byte[] decoded(JsonParser json) throws IOException {
            if (json.currentToken() != JsonToken.VALUE_STRING) {
                throw invalid("the image's b64_json is not a string");
            }
            Bounded bytes = new Bounded(maxImageBytes);
            try {
                json.readBinaryValue(BASE64, bytes);
            } catch (JsonProcessingException e) {
                throw invalid("the image's b64_json is not base64: " + e.getOriginalMessage());
            } catch (IllegalArgumentException e) {
                // What Jackson throws for a character outside the alphabet.
                throw invalid("the image's b64_json is not base64: " + e.getMessage());
            }
            return bytes.toByteArray();
        }

        private static String text(JsonParser json, String field) throws IOException {
            if (json.currentToken() != JsonToken.VALUE_STRING) {
                throw invalid("the image's " + field + " is not a string");
            }
            return json.getText();
        }

        /** OpenAI's usage; another shape (LocalAI sends chat-style token counts) is no usage, priced per image. */
        void usage(JsonParser json) throws IOException {
            if (json.currentToken() != JsonToken.START_OBJECT) {
                json.skipChildren();
                return;
            }
            Long input = null;
            Long output = null;
            Long total = null;
            while (json.nextToken() == JsonToken.FIELD_NAME) {
                String field = json.currentName();
                JsonToken value = json.nextToken();
                Long count = value == JsonToken.VALUE_NUMBER_INT && json.getNumberType() != JsonParser.NumberType.BIG_INTEGER
                        ? json.getLongValue() : null;
                switch (field) {
                    case "input_tokens" -> input = count;
                    case "output_tokens" -> output = count;
                    case "total_tokens" -> total = count;
                    default -> json.skipChildren();
                }
            }
            usage = input != null && output != null && total != null ? new TokenUsage(input, output, total) : null;
        }
    }

    /**
     * The decoded image in blocks of at most 128 KB, copied once into its array at the end, instead of an array that
     * doubles as it grows (which allocates twice the image before that copy); refused once it passes its bound (a
     * hostile answer could be a length bomb).
     */
    private static final class Bounded extends OutputStream {
        private final ByteArrayBuilder blocks = new ByteArrayBuilder(64 << 10);
        private final long max;

        Bounded(long max) {
            this.max = max;
        }

        @Override
        public void write(int b) {
            check(1);
            blocks.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            check(len);
            blocks.write(b, off, len);
        }

        byte[] toByteArray() {
            return blocks.toByteArray();
        }

        private void check(int len) {
            if ((long) blocks.size() + len > max) {
                throw invalid("the image is larger than " + max + " bytes");
            }
        }
    }
}
