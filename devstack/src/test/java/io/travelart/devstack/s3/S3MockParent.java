package io.travelart.devstack.s3;

import java.nio.file.Path;
import java.util.List;

/** A JVM that starts S3Mock, says its pid and waits to be killed: the parent in {@link S3MockServerTest}. */
public final class S3MockParent {
    public static void main(String[] args) throws Exception {
        S3MockServer server = S3MockServer.start(Path.of(args[0]), List.of("b"));
        System.out.println("s3mock-pid " + server.pid());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
