package io.travelart.devstack.s3;

import io.travelart.devstack.process.ParentWatch;

/**
 * The entry point of the S3Mock child process: watches the process that started it (its pid in
 * {@code -Dtravelart.parent.pid}) and exits with it, then runs S3Mock's own Spring Boot launcher from the
 * standalone jar beside this class on the class path. A parent killed with SIGKILL runs no shutdown hook,
 * so without this watch ({@link ParentWatch}) the server would outlive it. Nothing of ours but that watch is loaded.
 */
public final class S3MockMain {

    private S3MockMain() {
    }

    public static void main(String[] args) throws Exception {
        ParentWatch.exitWithParent("S3Mock");
        Class.forName("org.springframework.boot.loader.launch.JarLauncher")
                .getMethod("main", String[].class)
                .invoke(null, (Object) args);
    }
}
