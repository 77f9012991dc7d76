package org.blt4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.blt4j.Blt4jException;
import org.blt4j.io.Checkpoint;
import org.blt4j.nn.ParamStore;

/**
 * The int8 quantization of a hub checkpoint folder (docs/int8.md): config.json holds, next to "args",
 * {@code "quantization": {"format": "int8", "block": B}}; every linear weight W [N, K] is stored as tensor
 * {@code NAME} I8 [N, K] plus {@code NAME.scales} F32 [N, ceil(K/B)] ({@link org.blt4j.tensor.Int8Matrix}); token
 * embeddings, hash tables and norms stay as they were stored.
 *
 * @param block the input columns sharing one scale
 */
public record Quantization(int block) {
    /** config.json's key */
    public static final String KEY = "quantization";
    /** the one format blt4j writes and reads */
    public static final String FORMAT = "int8";
    /** suffix of the scales tensor of a quantized weight */
    public static final String SCALES = ".scales";

    public Quantization {
        if (block <= 0) throw new Blt4jException("int8 quantization: block " + block + " must be positive");
    }

    /** The folder's quantization, or null when its config.json has no "quantization" entry (fp32/bf16 weights). */
    public static Quantization of(Path dir) {
        ObjectNode root = Checkpoint.rawConfig(dir);
        JsonNode q = root.get(KEY);
        if (q == null || q.isNull()) return null;
        String where = dir.resolve(Checkpoint.CONFIG) + ": field \"" + KEY + "\"";
        if (!q.isObject())
            throw new Blt4jException(where + " must be an object {\"format\": \"int8\", \"block\": B}, got " + q);
        JsonNode f = q.get("format");
        if (f == null || !f.isTextual() || !f.textValue().equals(FORMAT))
            throw new Blt4jException(where + ".format is " + f + "; blt4j reads only \"" + FORMAT
                    + "\" (written by ./blt4j quantize): re-quantize the fp32/bf16 checkpoint");
        JsonNode b = q.get("block");
        if (b == null || !b.canConvertToInt() || !b.isIntegralNumber() || b.intValue() <= 0)
            throw new Blt4jException(where + ".block is " + b + "; it must be a positive integer (input columns per scale)");
        for (var it = q.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!name.equals("format") && !name.equals("block"))
                throw new Blt4jException(where + " has unknown field \"" + name + "\" (it holds format and block only)");
        }
        return new Quantization(b.intValue());
    }

    /** The config entry: {"format": "int8", "block": B}. */
    public ObjectNode toJson() {
        ObjectNode q = org.blt4j.io.Json.MAPPER.createObjectNode();
        q.put("format", FORMAT);
        q.put("block", block);
        return q;
    }

    /** Whether a parameter is quantized: the 2-D weights of linear layers (not token embeddings, not hash tables). */
    public static boolean quantizes(ParamStore.Spec s) {
        return s.shape().length == 2 && !s.name().contains("tok_embedding");
    }

    /** ceil(K / B), the scales per row of a weight with K input columns. */
    public int blocks(int k) {
        return Math.ceilDiv(k, block);   // (k + block - 1) / block overflows for a block near 2^31
    }

    /** The parameters (hash tables included) that the config.json in {@code dir} implies; the BLT's when dim_global is set. */
    static List<ParamStore.Spec> specs(Path dir) {
        if (Checkpoint.rawArgs(dir).has("dim_global")) {
            BltArgs a = Checkpoint.readArgs(dir, BltArgs.class);
            ReferenceArgs.check(Checkpoint.rawArgs(dir), dir);
            List<ParamStore.Spec> s = new ArrayList<>(ByteLatentTransformer.specs(a));
            s.addAll(ByteLatentTransformer.hashTableSpecs(a));
            return s;
        }
        return EntropyModel.specs(Checkpoint.readArgs(dir, LmArgs.class));
    }
}
