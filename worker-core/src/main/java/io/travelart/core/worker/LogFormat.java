package io.travelart.core.worker;

/**
 * Picks the worker's Logback configuration from {@code TRAVELART_LOG_FORMAT}: {@code text} (logback.xml)
 * or {@code json} (logback-json.xml). Must run before the first logger is made, so a program's main calls
 * it first; {@link io.travelart.core.config.WorkerConfig} rejects other values with a clear message.
 */
public final class LogFormat {

    public static final String VARIABLE = "TRAVELART_LOG_FORMAT";

    private LogFormat() {
    }

    public static void apply() {
        if ("json".equals(System.getenv(VARIABLE)) && System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "logback-json.xml");
        }
    }
}
