package io.travelart.core.config;

/** A setting is missing or has a value that is not accepted; the message names the setting. */
public class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }
}
