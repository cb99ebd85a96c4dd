package io.travelart.core.http;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A slow client: it connects and sends a request's first lines, never the blank line that ends its headers. */
public final class StalledClients {

    private StalledClients() {
    }

    /** A connection to a local port holding an unfinished request; close it to let go. */
    public static Socket stall(int port) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
        OutputStream out = socket.getOutputStream();
        out.write("GET /health/live HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return socket;
    }
}
