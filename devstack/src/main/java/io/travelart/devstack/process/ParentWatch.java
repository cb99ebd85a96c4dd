package io.travelart.devstack.process;

/**
 * The child side of {@link ChildJvm}'s {@code -Dtravelart.parent.pid}: a child main calls {@link #exitWithParent} first,
 * and the child exits when the process that started it does. A parent killed with SIGKILL runs no shutdown hook, so
 * without this the child would outlive it. Uses the JDK only, so that any child's class path can hold it. (The
 * registry's child, a Quarkus application of its own module, has its own watch that stops Quarkus.)
 */
public final class ParentWatch {

    private ParentWatch() {
    }

    /** Exits this JVM (status 0) when the parent named by {@code travelart.parent.pid} exits, or at once if it is gone. */
    public static void exitWithParent(String what) {
        String parent = System.getProperty("travelart.parent.pid");
        if (parent == null || parent.isBlank()) {
            return;
        }
        ProcessHandle.of(Long.parseLong(parent.trim())).ifPresentOrElse(
                handle -> handle.onExit().thenRun(() -> {
                    System.out.println("parent process " + parent + " has exited; stopping " + what);
                    System.exit(0);
                }),
                () -> System.exit(0));
    }
}
