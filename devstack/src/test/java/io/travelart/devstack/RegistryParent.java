package io.travelart.devstack;

import java.nio.file.Path;

/** A JVM that starts a registry, says its pid and waits to be killed: the parent in {@link ApicurioRegistryTest}. */
public final class RegistryParent {
    public static void main(String[] args) throws Exception {
        ApicurioRegistry registry = ApicurioRegistry.start(Path.of(args[0]));
        System.out.println("registry-pid " + registry.pid());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
