package io.travelart.devstack.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/** Free loopback ports, for servers whose port must be known before they start (the KRaft quorum). */
public final class Ports {
    private Ports() {
    }

    public static int free() {
        return free(1)[0];
    }

    /**
     * Several distinct free ports: each is held until all are found, so that the system cannot hand the same one out
     * twice (two ports asked one after the other can be the same, which a broker's two listeners then both try to bind).
     */
    public static int[] free(int count) {
        List<ServerSocket> held = new ArrayList<>();
        try {
            int[] ports = new int[count];
            for (int i = 0; i < count; i++) {
                ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                held.add(socket);
                socket.setReuseAddress(true);
                ports[i] = socket.getLocalPort();
            }
            return ports;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            for (ServerSocket socket : held) {
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // a socket that will not close keeps its port; the others are free either way
                }
            }
        }
    }
}
