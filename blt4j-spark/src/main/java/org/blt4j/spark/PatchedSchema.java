package org.blt4j.spark;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.MetadataBuilder;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.blt4j.Blt4jException;
import org.blt4j.io.Json;

/**
 * The schema of a patched dataset (docs/spark.md), one row per document:
 * <pre>
 *   id            bigint         document number: input files in URI order, documents in file order, from 0
 *   source        string         URI of the input file
 *   bytes         binary         the document's UTF-8 bytes (no BOS/EOS)
 *   entropies     binary         little-endian fp32 nats, one per token of BOS + bytes + EOS (length + 2 values),
 *                                as the entropy cache stores a stream
 *   patch_lengths array&lt;int&gt;     patch lengths over BOS + bytes + EOS, summing to length + 2
 * </pre>
 * The field {@code entropies} carries the dataset's metadata (key {@value #META_KEY}, a JSON string: format, patching
 * mode and threshold, the auto threshold's target and sample, the entropy model and chunking); the same JSON is
 * in {@code _blt4j.json} beside the part files.
 */
public final class PatchedSchema {
    public static final String FORMAT = "blt4j-patched-v1";
    public static final String META_KEY = "blt4j";
    public static final String META_FILE = "_blt4j.json";

    private PatchedSchema() {}

    public static StructType schema(JsonNode meta) {
        Metadata m = new MetadataBuilder().putString(META_KEY, compact(meta)).build();
        return new StructType(new StructField[] {
                new StructField("id", DataTypes.LongType, false, Metadata.empty()),
                new StructField("source", DataTypes.StringType, false, Metadata.empty()),
                new StructField("bytes", DataTypes.BinaryType, false, Metadata.empty()),
                new StructField("entropies", DataTypes.BinaryType, false, m),
                new StructField("patch_lengths", DataTypes.createArrayType(DataTypes.IntegerType, false), false, Metadata.empty())});
    }

    /** The dataset's metadata, after checking its schema holds every column with its type; a clear error if not. */
    public static JsonNode check(StructType actual, String where) {
        StructType want = schema(Json.MAPPER.createObjectNode());
        List<String> problems = new ArrayList<>();
        for (StructField f : want.fields()) {
            int i = List.of(actual.fieldNames()).indexOf(f.name());
            if (i < 0) problems.add("no column '" + f.name() + "'");
            else if (!sameType(actual.fields()[i].dataType(), f.dataType()))
                problems.add("column '" + f.name() + "' is " + actual.fields()[i].dataType().simpleString() + ", not " + f.dataType().simpleString());
        }
        if (!problems.isEmpty())
            throw new Blt4jException(where + " is not a blt4j patched dataset: " + String.join(", ", problems) + " (its columns: "
                    + String.join(", ", actual.fieldNames()) + "); write one with ./blt4j spark patch");
        Metadata md = actual.apply("entropies").metadata();
        if (!md.contains(META_KEY))
            throw new Blt4jException(where + " is not a blt4j patched dataset: its 'entropies' column has no blt4j metadata; write one with ./blt4j spark patch");
        JsonNode meta = parse(md.getString(META_KEY), where);
        if (!FORMAT.equals(meta.path("format").asText()))
            throw new Blt4jException(where + ": format '" + meta.path("format").asText() + "', this blt4j reads " + FORMAT);
        return meta;
    }

    private static boolean sameType(DataType a, DataType b) {
        return a.simpleString().equals(b.simpleString());
    }

    static String compact(JsonNode n) {
        try {
            return Json.MAPPER.writeValueAsString(n);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static JsonNode parse(String s, String where) {
        try {
            return Json.MAPPER.readTree(s);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new Blt4jException(where + ": its blt4j metadata is not JSON (" + e.getOriginalMessage() + ")");
        }
    }

    /** fp32 values as little-endian bytes (the entropy cache's layout). */
    public static byte[] toBytes(float[] h) {
        ByteBuffer b = ByteBuffer.allocate(4 * h.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : h) b.putFloat(v);
        return b.array();
    }

    public static float[] toFloats(byte[] b) {
        if (b.length % 4 != 0) throw new Blt4jException("entropies: " + b.length + " bytes is not a whole number of fp32 values");
        float[] h = new float[b.length / 4];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(h);
        return h;
    }
}
