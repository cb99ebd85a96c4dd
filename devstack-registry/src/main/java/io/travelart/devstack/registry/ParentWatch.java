package io.travelart.devstack.registry;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.StartupEvent;
import org.jboss.logging.Logger;

import javax.enterprise.context.ApplicationScoped;
import javax.enterprise.event.Observes;

/**
 * Stops the registry when the process that started it is gone: devstack starts it as a child and
 * stops it on a normal exit, but a parent killed with SIGKILL (or a crashed test JVM) runs no shutdown
 * hook. The parent's pid comes in {@code -Dtravelart.parent.pid}; without it nothing is watched.
 */
@ApplicationScoped
public class ParentWatch {

    private static final Logger LOG = Logger.getLogger(ParentWatch.class);

    void onStart(@Observes StartupEvent event) {
        String pid = System.getProperty("travelart.parent.pid");
        if (pid == null || pid.isBlank()) {
            return;
        }
        ProcessHandle.of(Long.parseLong(pid.trim())).ifPresentOrElse(
                parent -> parent.onExit().thenRun(() -> {
                    LOG.infof("parent process %s has exited; stopping the registry", pid);
                    Quarkus.asyncExit();
                }),
                () -> {
                    LOG.infof("parent process %s is already gone; stopping the registry", pid);
                    Quarkus.asyncExit();
                });
    }
}
