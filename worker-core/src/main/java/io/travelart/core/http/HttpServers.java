package io.travelart.core.http;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The JDK's HTTP server, made so that a slow or greedy client cannot block it.
 * <ul>
 *   <li>The JDK reads a request's headers on the server's executor, with no time limit by default: one
 *       client that never finishes its headers held the only thread of a server before. Here a client has
 *       {@link #REQUEST_SECONDS} to send a request ({@code sun.net.httpserver.maxReqTime}); then its
 *       connection is closed and its thread freed.</li>
 *   <li>Each connection being worked on has a thread of its own, up to {@code maxConnections}; beyond that
 *       a new connection is closed at once instead of queueing behind the others.</li>
 * </ul>
 * The JDK reads its settings once, when the first server of the JVM starts: {@link #limitRequestTime()}
 * must run before any {@code HttpServer} is made (each program's {@code main} calls it first; the build's
 * tests set it on the command line).
 */
public final class HttpServers {

    /** How long a client has to send a request line, headers and body. */
    public static final int REQUEST_SECONDS = 10;
    private static final String MAX_REQUEST_TIME = "sun.net.httpserver.maxReqTime";

    static {
        limitRequestTime();
    }

    private HttpServers() {
    }

    /**
     * Sets the JDK server's request time limit (unless the command line did) and {@code nodelay} (without
     * it, every response costs about 45 ms). Has no effect once a server has started in this JVM.
     */
    public static void limitRequestTime() {
        if (System.getProperty(MAX_REQUEST_TIME) == null) {
            System.setProperty(MAX_REQUEST_TIME, Integer.toString(REQUEST_SECONDS));
        }
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
    }

    /**
     * A server on {@code host:port} (0 for a free port), not started, with a thread per connection up to
     * {@code maxConnections}.
     */
    public static HttpServer create(String name, String host, int port, int maxConnections) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 128);
        server.setExecutor(executor(name, maxConnections));
        return server;
    }

    /**
     * Threads made as connections come and gone after 30 s idle; a connection beyond {@code max} is refused
     * (the JDK closes it), never queued, so it cannot wait behind stalled ones.
     */
    public static ExecutorService executor(String name, int max) {
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(0, max, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread t = new Thread(r, name + "-http-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        }, new ThreadPoolExecutor.AbortPolicy());
        return pool;
    }
}
