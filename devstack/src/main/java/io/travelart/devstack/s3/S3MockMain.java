package io.travelart.devstack.s3;

/**
 * The entry point of the S3Mock child process: watches the process that started it (its pid in
 * {@code -Dtravelart.parent.pid}) and exits with it, then runs S3Mock's own Spring Boot launcher from the
 * standalone jar beside this class on the class path. A parent killed with SIGKILL runs no shutdown hook,
 * so without this watch the server would outlive it. Uses the JDK only: nothing else of ours is loaded.
 */
public final class S3MockMain {

    private S3MockMain() {
    }

    public static void main(String[] args) throws Exception {
        String parent = System.getProperty("travelart.parent.pid");
        if (parent != null && !parent.isBlank()) {
            ProcessHandle.of(Long.parseLong(parent.trim())).ifPresentOrElse(
                    handle -> handle.onExit().thenRun(() -> {
                        System.out.println("parent process " + parent + " has exited; stopping S3Mock");
                        System.exit(0);
                    }),
                    () -> System.exit(0));
        }
        Class.forName("org.springframework.boot.loader.launch.JarLauncher")
                .getMethod("main", String[].class)
                .invoke(null, (Object) args);
    }
}
