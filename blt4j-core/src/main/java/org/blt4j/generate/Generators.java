package org.blt4j.generate;

import org.blt4j.model.ByteLatentTransformer;
import org.blt4j.model.EntropyModel;
import org.blt4j.patch.Patcher;

/** The one place that picks a {@link Generator} implementation; callers program against the interface. */
public final class Generators {
    private Generators() {}

    /**
     * A generator for the BLT patched by its entropy model.
     *
     * @param cached whether a caching generator may be used. Every implementation produces the same bytes; caching only
     *               changes the speed. Only {@link NoCacheGenerator} exists so far, so both values return it; when a
     *               cached generator is added, {@code cached = true} is the switch that selects it.
     */
    public static Generator create(ByteLatentTransformer blt, EntropyModel entropyModel, Patcher patcher, boolean cached) {
        return new NoCacheGenerator(blt, entropyModel, patcher);
    }
}
