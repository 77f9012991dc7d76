package org.blt4j.cli;

import org.blt4j.Blt4jException;
import org.blt4j.generate.Sampler;
import picocli.CommandLine.Option;

/** --greedy, --temperature, --top-k, --top-p, --seed: how the next byte is picked. */
final class SamplingOptions {
    @Option(names = "--greedy", description = "always take the most likely byte (same as --temperature 0)")
    boolean greedy;

    @Option(names = "--temperature", paramLabel = "T", description = "sampling temperature, 0 = greedy (default: 1.0)")
    Double temperature;

    @Option(names = "--top-k", paramLabel = "K", description = "sample from the K most likely bytes only (default: all)")
    Integer topK;

    @Option(names = "--top-p", paramLabel = "P", description = "nucleus sampling: the most likely bytes holding probability P (default: 1)")
    Double topP;

    @Option(names = "--seed", paramLabel = "S", converter = SeedConverter.class,
            description = "random seed, a 64-bit integer, for reproducible sampling (default: random)")
    Long seed;

    /** --seed as a long, with a message that says what fits (picocli's own prints the whole usage). */
    static final class SeedConverter implements picocli.CommandLine.ITypeConverter<Long> {
        @Override
        public Long convert(String v) {
            try {
                return Long.parseLong(v.strip());
            } catch (NumberFormatException e) {
                throw new picocli.CommandLine.TypeConversionException("'" + v + "' is not a 64-bit integer (from "
                        + Long.MIN_VALUE + " to " + Long.MAX_VALUE + ")");
            }
        }
    }

    /** The sampler these flags describe; a bad combination or value gets one line naming the flag. */
    Sampler sampler() {
        if (greedy) {
            if (temperature != null || topK != null || topP != null || seed != null)
                throw new Blt4jException("--greedy takes no --temperature, --top-k, --top-p or --seed");
            return Sampler.greedy();
        }
        try {
            return Sampler.of(temperature == null ? 1.0 : temperature, topK == null ? 0 : topK, topP == null ? 1.0 : topP,
                    seed != null ? seed : new java.security.SecureRandom().nextLong());
        } catch (Blt4jException e) {
            throw new Blt4jException("--" + e.getMessage());
        }
    }
}
