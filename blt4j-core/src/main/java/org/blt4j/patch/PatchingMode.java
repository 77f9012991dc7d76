package org.blt4j.patch;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;
import org.blt4j.Blt4jException;

/** The reference's {@code patching_mode} values that blt4j supports. */
public enum PatchingMode {
    /** Entropy of the next byte from the entropy model: global threshold, monotonic, threshold + threshold_add, top-k. */
    ENTROPY,
    /** Fixed patch_size. */
    STATIC,
    /** One byte per patch. */
    BYTE,
    /** Patches end at a non-word byte that follows a word byte. */
    SPACE,
    /** Patches end at the BPE delimiter id 3. */
    BPE;

    /** The name used in configs ("entropy", "static", ...). */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a config name; names the bad value and lists the valid ones. */
    public static PatchingMode parse(String name) {
        if (name == null) throw new Blt4jException("patcher: patching_mode is missing; valid modes: " + validNames());
        for (PatchingMode m : values()) if (m.configName().equals(name)) return m;
        if (name.equals("bpe_patcher"))
            throw new Blt4jException("patcher: patching_mode 'bpe_patcher' needs a learned BPE patcher model, which blt4j "
                    + "does not support; valid modes: " + validNames());
        throw new Blt4jException("patcher: unknown patching_mode '" + name + "'; valid modes: " + validNames());
    }

    static String validNames() {
        return Arrays.stream(values()).map(PatchingMode::configName).collect(Collectors.joining(", "));
    }
}
