package org.blt4j.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.blt4j.data.BltPacker;
import org.blt4j.data.TokenStream;
import org.blt4j.model.ByteLatentTransformer;
import org.blt4j.model.ChunkedEntropies;
import org.blt4j.model.EntropyModel;
import org.blt4j.patch.PatchLengths;
import org.blt4j.patch.Patcher;
import org.blt4j.tensor.Parallel;

/**
 * A model pair (BLT + the entropy model that patches it) against its int8 copy (docs/int8.md) on the same text: bits
 * per byte of both BLTs (each patched by its own entropy model, as the pair is used), of both entropy models, and how
 * often the two entropy models agree on where a patch starts. The BLTs are scored as {@code ./blt4j eval} scores them
 * (rows of seqLen bytes, ceil(seqLen / patch_size) patches a row).
 */
public final class QuantizedAccuracy {
    private QuantizedAccuracy() {}

    /**
     * @param blt      BLT bits per byte: reference, quantized
     * @param entropy  entropy model bits per byte: reference, quantized
     * @param agree    positions (BOS, bytes, EOS of the scored stream) where both entropy models start a patch or both do not
     * @param positions positions compared
     * @param bytes    bytes scored
     */
    public record Result(double[] blt, double[] entropy, long agree, long positions, long bytes, int starts) {
        /** Share of positions with the same patch decision. */
        public double boundaryAgreement() {
            return agree / (double) Math.max(1, positions);
        }

        /** Relative change of the BLT's bits per byte, quantized against reference. */
        public double bltChange() {
            return blt[1] / blt[0] - 1;
        }

        /** Relative change of the entropy model's bits per byte. */
        public double entropyChange() {
            return entropy[1] / entropy[0] - 1;
        }
    }

    /** Compares on the first maxBytes bytes of docs (the last document read is cut). */
    public static Result compare(ByteLatentTransformer blt, EntropyModel em, ByteLatentTransformer bltQ, EntropyModel emQ,
                                 List<byte[]> docs, int seqLen, long maxBytes) {
        int[] ids = TokenStream.encode(prefix(docs, maxBytes));
        float[] h = entropies(em, ids), hQ = entropies(emQ, ids);
        double[] bltBpb = {bltBpb(blt, ids, h, seqLen), bltBpb(bltQ, ids, hQ, seqLen)};
        double[] emBpb = {BitsPerByte.entropyModel(em, ids, seqLen, Long.MAX_VALUE).bpb(),
                BitsPerByte.entropyModel(emQ, ids, seqLen, Long.MAX_VALUE).bpb()};
        Patcher patcher = blt.args().patcherArgs().build();
        boolean[] s = starts(patcher, ids, h), sQ = starts(patcher, ids, hQ);
        long agree = 0;
        int n = 0;
        for (int i = 0; i < ids.length; i++) {
            if (s[i] == sQ[i]) agree++;
            if (s[i]) n++;
        }
        long bytes = Arrays.stream(ids).filter(org.blt4j.text.ByteTokenizer::isByte).count();
        return new Result(bltBpb, emBpb, agree, ids.length, bytes, n);
    }

    private static float[] entropies(EntropyModel em, int[] ids) {
        return ChunkedEntropies.compute(em, ids, ChunkedEntropies.Chunking.exact(em.args(), Parallel.poolSize()),
                ChunkedEntropies.Progress.NONE);
    }

    private static double bltBpb(ByteLatentTransformer blt, int[] ids, float[] h, int seqLen) {
        int patches = (int) Math.ceil(seqLen / blt.args().patchSize());
        BltPacker packer = new BltPacker(ids, h, blt.args().patcherArgs(), new BltPacker.Config(1, patches, seqLen, false, null));
        return BitsPerByte.blt(blt, packer, Long.MAX_VALUE).bpb();
    }

    /** starts[i]: a patch starts at position i of the stream. */
    private static boolean[] starts(Patcher patcher, int[] ids, float[] h) {
        boolean[] out = new boolean[ids.length];
        for (int p : PatchLengths.starts(patcher.patchLengths(ids, h, false))) if (p < out.length) out[p] = true;
        return out;
    }

    /** The documents holding the first maxBytes bytes (the last one cut there). */
    static List<byte[]> prefix(List<byte[]> docs, long maxBytes) {
        List<byte[]> out = new ArrayList<>();
        long left = maxBytes;
        for (byte[] d : docs) {
            if (left <= 0) break;
            out.add(d.length <= left ? d : Arrays.copyOf(d, (int) left));
            left -= d.length;
        }
        return out;
    }
}
