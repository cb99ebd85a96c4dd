package io.travelart.devstack;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class ApicurioRegistryTest {

    @Test
    void answersOnLoopbackWithBackwardCompatibilityAndStopsOnClose(@TempDir Path dir) throws Exception {
        long pid;
        try (ApicurioRegistry registry = ApicurioRegistry.start(dir.resolve("registry.log"))) {
            pid = registry.pid();
            HttpResponse<String> config = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create(registry.confluentUrl() + "/config")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(config.statusCode()).isEqualTo(200);
            assertThat(config.body()).contains("BACKWARD");
        }
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
    }

    @Test
    void stopsWhenItsParentIsKilled(@TempDir Path dir) throws Exception {
        Process parent = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), RegistryParent.class.getName(), dir.resolve("registry.log").toString())
                .redirectErrorStream(true).start();
        long registryPid = -1;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(parent.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                if (line.startsWith("registry-pid ")) {
                    registryPid = Long.parseLong(line.substring("registry-pid ".length()));
                    break;
                }
            }
            assertThat(registryPid).as("the parent started a registry").isPositive();
            ProcessHandle registry = ProcessHandle.of(registryPid).orElseThrow();

            parent.destroyForcibly().waitFor();

            assertThat(registry.onExit().get(30, TimeUnit.SECONDS).isAlive()).isFalse();
        } finally {
            parent.destroyForcibly();
            if (registryPid > 0) {
                ProcessHandle.of(registryPid).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
    }
}
