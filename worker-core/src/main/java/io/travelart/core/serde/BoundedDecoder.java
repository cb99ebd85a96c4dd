package io.travelart.core.serde;

import org.apache.avro.io.Decoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.util.Utf8;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;

/**
 * Avro binary decoding of one record's bytes in which no declared length or count can make it allocate
 * more than the bytes can hold. Avro's own decoder allocates what a string, bytes, array or map
 * <em>declares</em> (up to about 2^31 by default, {@code org.apache.avro.limits.*}), so 15 bytes can ask
 * for 2 GB. Here a string or bytes value may declare at most the bytes left, and the items of all arrays
 * and maps of a record together at most as many as the record has bytes (an item of a non-empty type
 * takes at least one byte; only a writer schema with empty items could declare more, and it may not).
 * Lengths and counts are read here; the primitives come from Avro's direct binary decoder.
 */
final class BoundedDecoder extends Decoder {

    private final Slice in;
    private final Decoder primitives;
    private final long maxItems;
    private long items;

    BoundedDecoder(byte[] data, int offset, int length) {
        this.in = new Slice(data, offset, length);
        this.primitives = DecoderFactory.get().directBinaryDecoder(in, null);
        this.maxItems = length;
    }

    /** Whether every byte was read. */
    boolean isEnd() {
        return in.remaining() == 0;
    }

    int remaining() {
        return in.remaining();
    }

    private int length(String what) throws IOException {
        long length = primitives.readLong();
        if (length < 0) {
            throw new BoundException(what + " declares a negative length " + length);
        }
        if (length > in.remaining()) {
            throw new BoundException(what + " declares " + length + " bytes, more than the " + in.remaining() + " left in the record");
        }
        return (int) length;
    }

    /** A block's item count; a negative count is followed by the block's size in bytes, which is read and checked. */
    private long blockCount(String what) throws IOException {
        long count = primitives.readLong();
        if (count < 0) {
            if (count == Long.MIN_VALUE) {
                throw new BoundException(what + " declares an impossible item count");
            }
            count = -count;
            length(what + " block");
        }
        items += count;
        if (count > in.remaining() || items > maxItems) {
            throw new BoundException(what + " declares " + count + " items, more than the record's " + maxItems + " bytes can hold");
        }
        return count;
    }

    @Override
    public void readNull() throws IOException {
        primitives.readNull();
    }

    @Override
    public boolean readBoolean() throws IOException {
        return primitives.readBoolean();
    }

    @Override
    public int readInt() throws IOException {
        return primitives.readInt();
    }

    @Override
    public long readLong() throws IOException {
        return primitives.readLong();
    }

    @Override
    public float readFloat() throws IOException {
        return primitives.readFloat();
    }

    @Override
    public double readDouble() throws IOException {
        return primitives.readDouble();
    }

    @Override
    public Utf8 readString(Utf8 old) throws IOException {
        int length = length("a string");
        Utf8 result = old != null ? old : new Utf8();
        result.setByteLength(length);
        in.readFully(result.getBytes(), 0, length);
        return result;
    }

    @Override
    public String readString() throws IOException {
        return readString(null).toString();
    }

    @Override
    public void skipString() throws IOException {
        in.skipFully(length("a string"));
    }

    @Override
    public ByteBuffer readBytes(ByteBuffer old) throws IOException {
        int length = length("a bytes value");
        ByteBuffer result = old != null && old.capacity() >= length ? old.clear() : ByteBuffer.allocate(length);
        in.readFully(result.array(), result.arrayOffset(), length);
        result.limit(length);
        return result;
    }

    @Override
    public void skipBytes() throws IOException {
        in.skipFully(length("a bytes value"));
    }

    @Override
    public void readFixed(byte[] bytes, int start, int length) throws IOException {
        in.readFully(bytes, start, length);
    }

    @Override
    public void skipFixed(int length) throws IOException {
        in.skipFully(length);
    }

    @Override
    public int readEnum() throws IOException {
        return primitives.readInt();
    }

    @Override
    public long readArrayStart() throws IOException {
        return blockCount("an array");
    }

    @Override
    public long arrayNext() throws IOException {
        return blockCount("an array");
    }

    @Override
    public long skipArray() throws IOException {
        return blockCount("an array");
    }

    @Override
    public long readMapStart() throws IOException {
        return blockCount("a map");
    }

    @Override
    public long mapNext() throws IOException {
        return blockCount("a map");
    }

    @Override
    public long skipMap() throws IOException {
        return blockCount("a map");
    }

    @Override
    public int readIndex() throws IOException {
        return primitives.readInt();
    }

    /** A length or count that the record's bytes cannot hold. */
    static final class BoundException extends IOException {
        BoundException(String message) {
            super(message);
        }
    }

    /** The record's bytes, read once, with what is left always known (unsynchronized, unlike ByteArrayInputStream). */
    private static final class Slice extends InputStream {
        private final byte[] data;
        private int position;
        private final int limit;

        Slice(byte[] data, int offset, int length) {
            this.data = data;
            this.position = offset;
            this.limit = offset + length;
        }

        int remaining() {
            return limit - position;
        }

        @Override
        public int read() {
            return position < limit ? data[position++] & 0xff : -1;
        }

        @Override
        public int read(byte[] target, int offset, int length) {
            if (length == 0) {
                return 0;
            }
            if (position >= limit) {
                return -1;
            }
            int n = Math.min(length, limit - position);
            System.arraycopy(data, position, target, offset, n);
            position += n;
            return n;
        }

        void readFully(byte[] target, int offset, int length) throws EOFException {
            if (length > remaining()) {
                throw new EOFException(length + " bytes wanted, " + remaining() + " left");
            }
            System.arraycopy(data, position, target, offset, length);
            position += length;
        }

        void skipFully(long length) throws EOFException {
            if (length < 0 || length > remaining()) {
                throw new EOFException(length + " bytes to skip, " + remaining() + " left");
            }
            position += (int) length;
        }

        @Override
        public int available() {
            return remaining();
        }
    }
}
