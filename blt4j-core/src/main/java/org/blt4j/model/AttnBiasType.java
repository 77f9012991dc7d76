package org.blt4j.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.blt4j.Blt4jException;

/**
 * attn_bias_type of the BLT config, which sets the global transformer's mask (docs/computation.md §5; the local stacks always use
 * their windowed block-causal mask): causal over all patches, or block-causal, where a patch holding an EOS ends a
 * document (local_block_causal too: the global stack has no window).
 */
public enum AttnBiasType {
    CAUSAL("causal"), BLOCK_CAUSAL("block_causal"), LOCAL_BLOCK_CAUSAL("local_block_causal");

    private final String configName;

    AttnBiasType(String configName) {
        this.configName = configName;
    }

    /** The config value. */
    @JsonValue
    public String configName() {
        return configName;
    }

    /** Whether documents (ended by a patch holding an EOS) cannot see each other. */
    public boolean blockCausal() {
        return this != CAUSAL;
    }

    /** Parses a config value; a bad one names the key, the value and the valid values. */
    @JsonCreator
    public static AttnBiasType parse(String name) {
        for (AttnBiasType t : values()) if (t.configName.equals(name)) return t;
        throw new Blt4jException("config: attn_bias_type '" + name + "' is not supported; valid values: "
                + Arrays.stream(values()).map(AttnBiasType::configName).collect(Collectors.joining(", ")));
    }
}
