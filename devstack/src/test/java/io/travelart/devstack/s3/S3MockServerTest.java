package io.travelart.devstack.s3;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class S3MockServerTest {

    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void servesS3OnLoopbackKeepsObjectsAcrossARestartAndStopsOnClose(@TempDir Path dir) throws Exception {
        S3MockServer server = S3MockServer.start(dir, List.of("images"));
        long firstPid = server.pid();
        try {
            URI object = URI.create(server.endpoint() + "/images/hello.txt");
            assertThat(send(HttpRequest.newBuilder(object).PUT(HttpRequest.BodyPublishers.ofString("hello"))).statusCode()).isEqualTo(200);
            assertThat(send(HttpRequest.newBuilder(object)).body()).isEqualTo("hello");

            // Its S3 port is on loopback only: from this host's other address, nothing answers there.
            assertThat(server.endpoint()).startsWith("http://127.0.0.1:");
            int port = server.port();
            for (InetAddress address : otherAddresses()) {
                try (Socket socket = new Socket()) {
                    assertThatThrownBy(() -> socket.connect(new InetSocketAddress(address, port), 2000))
                            .as("connecting on %s", address).isInstanceOf(IOException.class);
                }
            }

            server = server.restart();
            assertThat(server.pid()).isNotEqualTo(firstPid);
            assertThat(ProcessHandle.of(firstPid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
            assertThat(send(HttpRequest.newBuilder(object)).body()).as("the object after a restart").isEqualTo("hello");
        } finally {
            server.close();
        }
        assertThat(ProcessHandle.of(server.pid()).map(ProcessHandle::isAlive).orElse(false)).isFalse();
    }

    private static List<InetAddress> otherAddresses() throws IOException {
        return NetworkInterface.networkInterfaces().filter(i -> {
            try {
                return i.isUp() && !i.isLoopback();
            } catch (IOException e) {
                return false;
            }
        }).flatMap(NetworkInterface::inetAddresses).filter(a -> a instanceof Inet4Address).toList();
    }

    @Test
    void stopsWhenItsParentIsKilled(@TempDir Path dir) throws Exception {
        Process parent = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), S3MockParent.class.getName(), dir.toString())
                .redirectErrorStream(true).start();
        long pid = -1;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(parent.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                if (line.startsWith("s3mock-pid ")) {
                    pid = Long.parseLong(line.substring("s3mock-pid ".length()));
                    break;
                }
            }
            assertThat(pid).as("the parent started S3Mock").isPositive();
            ProcessHandle s3mock = ProcessHandle.of(pid).orElseThrow();

            parent.destroyForcibly().waitFor();

            assertThat(s3mock.onExit().get(30, TimeUnit.SECONDS).isAlive()).isFalse();
        } finally {
            parent.destroyForcibly();
            if (pid > 0) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
    }
}
