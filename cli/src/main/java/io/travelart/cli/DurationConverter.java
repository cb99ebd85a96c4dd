package io.travelart.cli;

import io.travelart.core.config.Settings;
import picocli.CommandLine.ITypeConverter;

import java.time.Duration;

/** A duration option as the settings take one: {@code 250ms}, {@code 30s}, {@code 2m}, {@code 1h} or ISO-8601. */
final class DurationConverter implements ITypeConverter<Duration> {

    @Override
    public Duration convert(String value) {
        return Settings.parseDuration(value);
    }
}
