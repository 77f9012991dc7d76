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
     * @param cached true: {@link CachedGenerator} (KV caches, the global model once per closed patch; it falls back to
     *               full recomputation for patchers that are not causal, such as top-k); false: {@link NoCacheGenerator},
     *               the reference's semantics. Both produce the same bytes; caching only changes the speed. A
     *               generator holds the state of one generation at a time: create one per concurrent request.
     */
    public static Generator create(ByteLatentTransformer blt, EntropyModel entropyModel, Patcher patcher, boolean cached) {
        return cached ? new CachedGenerator(blt, entropyModel, patcher) : new NoCacheGenerator(blt, entropyModel, patcher);
    }
}
