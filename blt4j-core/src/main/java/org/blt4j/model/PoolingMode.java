package org.blt4j.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;
import org.blt4j.Blt4jException;

/** downsampling_by_pooling: how the local encoder pools a patch's byte states into its first slot vector. */
public enum PoolingMode {
    MAX, AVG, MIN;

    /** The config value ("max", "avg", "min"). */
    @JsonValue
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a config value; a bad one names the key, the value and the valid values. */
    @JsonCreator
    public static PoolingMode parse(String name) {
        for (PoolingMode m : values()) if (m.configName().equals(name)) return m;
        throw new Blt4jException("config: downsampling_by_pooling '" + name + "' is not supported; valid values: "
                + Arrays.stream(values()).map(PoolingMode::configName).collect(Collectors.joining(", ")));
    }
}
