package io.travelart.core.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.util.BufferRecycler;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.core.util.RecyclerPool;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Jackson for code that runs on virtual threads (every call a worker makes, every request the API takes). Jackson
 * keeps its read and write buffers in a thread local by default: on a virtual thread per call that is a new set of
 * buffers (a few KB to tens of KB) for every call, never reused, and held as long as the call's thread lives, so a
 * call waiting 16 s for an image kept the buffers it wrote its request with all that time. Mappers made here take
 * their buffers from one pool for the process and give them back as soon as a document is read or written.
 */
public final class Json {

    /** The process's buffers: as many sets as documents are read or written at once, not one per thread. */
    public static final RecyclerPool<BufferRecycler> BUFFERS = JsonRecyclerPools.sharedConcurrentDequePool();

    private Json() {
    }

    /** A factory whose parsers and generators take their buffers from {@link #BUFFERS}. */
    public static JsonFactory factory() {
        return JsonFactory.builder().recyclerPool(BUFFERS).build();
    }

    /** A plain mapper on {@link #factory()}: what {@code new ObjectMapper()} gives, with the shared buffers. */
    public static ObjectMapper mapper() {
        return new ObjectMapper(factory());
    }
}
