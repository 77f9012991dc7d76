package org.blt4j.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.blt4j.Blt4jException;
import org.blt4j.io.Json;
import org.junit.jupiter.api.Test;

class SizingTest {
    static ObjectNode blt() throws Exception {
        return (ObjectNode) Json.YAML.readTree("""
                {dim_global: 256, n_heads_global: 8, n_layers_global: 4, dim_local_encoder: 128, dim_local_decoder: 128,
                 n_heads_local_encoder: 4, n_heads_local_decoder: 4, n_layers_local_encoder: 1, n_layers_local_decoder: 2,
                 cross_attn_encoder: true, cross_attn_decoder: true, cross_attn_init_by_pooling: true,
                 cross_attn_all_layers_decoder: true, cross_attn_k: 2, cross_attn_nheads: 4,
                 encoder_hash_byte_group_size: [3, 4, 5, 6], encoder_hash_byte_group_vocab: 8192, multiple_of: 32}""");
    }

    @Test
    void aLargerPatchGetsAWiderLatentModelAtTheSameCost() throws Exception {
        ObjectNode ref = Sizing.bltArgs(blt(), 384, "entropy", 2.0, 4.5);
        double target = Sizing.bltForward(ref, 384, 4.5);
        ObjectNode eight = Sizing.sizeGlobal(Sizing.bltArgs(blt(), 384, "entropy", 3.0, 8), 384, 8, target, "blt-entropy-8");
        int dg = eight.get("dim_global").asInt();
        assertTrue(dg > 256 && dg % 16 == 0, "dim_global " + dg);
        assertTrue(Math.abs(Sizing.bltForward(eight, 384, 8) / target - 1) <= Sizing.TOLERANCE);
        // the closest width: one step narrower or wider is no closer
        for (int d : new int[] {dg - 16, dg + 16}) {
            ObjectNode a = eight.deepCopy();
            a.put("dim_global", d);
            assertTrue(Math.abs(Sizing.bltForward(a, 384, 8) / target - 1) >= Math.abs(Sizing.bltForward(eight, 384, 8) / target - 1));
        }
        assertEquals(256, Sizing.sizeGlobal(ref, 384, 4.5, target, "ref").get("dim_global").asInt(), "the reference sizes to itself");
    }

    @Test
    void tokenAndByteLmsAreSizedToTheTarget() throws Exception {
        ObjectNode lm = (ObjectNode) Json.YAML.readTree("{n_layers: 4, n_heads: 4, multiple_of: 32}");
        double target = 3.0e6;
        ObjectNode bpe = Sizing.sizeLm(lm, 4100, 88, 4.4, target, "bpe");
        assertTrue(Math.abs(Sizing.lmForward(bpe, 88, 4.4) / target - 1) <= Sizing.TOLERANCE);
        ObjectNode bytes = Sizing.sizeLm(lm, 260, 384, 1, target, "bytes");
        assertTrue(bytes.get("dim").asInt() < bpe.get("dim").asInt(), "a byte costs a byte LM a whole position");
    }

    @Test
    void aTargetNoWidthReachesIsOneLine() throws Exception {
        ObjectNode lm = (ObjectNode) Json.YAML.readTree("{n_layers: 8, n_heads: 4}");
        Blt4jException e = assertThrows(Blt4jException.class, () -> Sizing.sizeLm(lm, 260, 64, 1, 10, "bytes"));
        assertTrue(e.getMessage().contains("cannot be sized") && e.getMessage().contains("within 10%"), e.getMessage());
    }

    @Test
    void armNames() {
        assertEquals(Arm.Type.BLT_ENTROPY, Arm.parse("blt-entropy-8").type());
        assertEquals(8.0, Arm.parse("blt-entropy-8").patchSize());
        assertThrows(Blt4jException.class, () -> Arm.parse("blt-entropy-x"));
        Blt4jException e = assertThrows(Blt4jException.class, () -> Arm.parse("gpt"));
        assertTrue(e.getMessage().contains("unknown arm type 'gpt'"), e.getMessage());
    }
}
