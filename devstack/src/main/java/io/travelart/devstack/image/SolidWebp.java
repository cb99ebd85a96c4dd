package io.travelart.devstack.image;

import java.io.ByteArrayOutputStream;

/**
 * A lossless WebP (VP8L) of one colour. Neither the JDK nor this workplace's packages hold a WebP
 * encoder (TwelveMonkeys' plugin only reads), so the simulator answers {@code output_format=webp} with
 * the simplest valid image of the requested size: every prefix code has a single symbol, which the
 * format codes with zero bits, so each pixel costs nothing and the file is a few dozen bytes.
 */
final class SolidWebp {

    private SolidWebp() {
    }

    static byte[] encode(int width, int height, int argb) {
        Bits bits = new Bits();
        bits.write(0x2f, 8);              // VP8L signature
        bits.write(width - 1, 14);
        bits.write(height - 1, 14);
        bits.write(0, 1);                 // alpha not used
        bits.write(0, 3);                 // version 0
        bits.write(0, 1);                 // no transform
        bits.write(0, 1);                 // no colour cache
        bits.write(0, 1);                 // no meta prefix codes
        // Five prefix codes: green, red, blue, alpha, distance; each a "simple" code of one 8-bit symbol.
        int[] symbols = {(argb >> 8) & 0xff, (argb >> 16) & 0xff, argb & 0xff, 0xff, 0};
        for (int symbol : symbols) {
            bits.write(1, 1);             // simple code
            bits.write(0, 1);             // one symbol
            bits.write(1, 1);             // eight bits wide
            bits.write(symbol, 8);
        }
        byte[] vp8l = bits.bytes();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int chunk = vp8l.length + (vp8l.length % 2);
        out.writeBytes("RIFF".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        writeInt(out, 4 + 8 + chunk);
        out.writeBytes("WEBPVP8L".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        writeInt(out, vp8l.length);
        out.writeBytes(vp8l);
        if (vp8l.length % 2 == 1) {
            out.write(0);
        }
        return out.toByteArray();
    }

    private static void writeInt(ByteArrayOutputStream out, int value) {
        out.write(value);
        out.write(value >>> 8);
        out.write(value >>> 16);
        out.write(value >>> 24);
    }

    /** Bits written least significant first, as VP8L reads them. */
    private static final class Bits {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private long buffer;
        private int count;

        void write(int value, int width) {
            buffer |= ((long) value & ((1L << width) - 1)) << count;
            count += width;
            while (count >= 8) {
                out.write((int) (buffer & 0xff));
                buffer >>>= 8;
                count -= 8;
            }
        }

        byte[] bytes() {
            if (count > 0) {
                out.write((int) (buffer & 0xff));
                buffer = 0;
                count = 0;
            }
            return out.toByteArray();
        }
    }
}
