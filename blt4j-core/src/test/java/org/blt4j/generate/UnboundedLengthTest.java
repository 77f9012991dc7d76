package org.blt4j.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.blt4j.golden.GoldenCases;
import org.blt4j.model.ByteLatentTransformer;
import org.blt4j.model.EntropyModel;
import org.blt4j.model.ModelLoader;
import org.blt4j.patch.Patcher;
import org.blt4j.patch.PatcherArgs;
import org.junit.jupiter.api.Test;

/** maxBytes is a bound, not a size: generating "up to 2^31 − 1 bytes" and stopping after 3 allocates for 3. */
class UnboundedLengthTest {
    @Test
    void hugeMaxBytesStopsWhenTheListenerSays() {
        GoldenCases.Case c = GoldenCases.ofKind("blt").stream().filter(k -> k.json().has("generation")).findFirst().orElseThrow();
        ByteLatentTransformer blt = ModelLoader.blt(c.dir(), true);
        EntropyModel em = ModelLoader.entropyModel(c.dir().resolve(c.json().get("entropy_model").asText()).normalize());
        Patcher patcher = PatcherArgs.entropy(c.json().get("patching_threshold").asDouble()).build();
        int[] prompt = GoldenCases.ints(c.json().get("generation").get("prompt"));
        int[] count = new int[1];
        Generator.Listener three = (id, step) -> ++count[0] < 3;
        for (Generator g : new Generator[] {new CachedGenerator(blt, em, patcher), new NoCacheGenerator(blt, em, patcher)}) {
            count[0] = 0;
            assertEquals(3, g.generate(prompt, Integer.MAX_VALUE, Sampler.greedy(), false, three).length, g.getClass().getSimpleName());
        }
    }
}
