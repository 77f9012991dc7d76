package org.blt4j.io;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.blt4j.Blt4jException;

/**
 * Parses and validates a safetensors JSON header. Every field is checked before anything is trusted: the tensors must
 * have supported dtypes, non-negative integer shapes whose byte size matches their data_offsets, and must tile the data
 * section exactly (no overlaps, no gaps, nothing past the end), as the reference implementation requires.
 */
record SafeTensorsHeader(Map<String, TensorInfo> tensors, Map<String, String> metadata) {
    static final String METADATA_KEY = "__metadata__";

    /**
     * @param file      the file's name, for messages
     * @param header    the header bytes (length already bounds-checked by the caller)
     * @param dataStart file offset of the data section (8 + header length)
     * @param dataSize  bytes in the data section
     */
    static SafeTensorsHeader parse(String file, byte[] header, long dataStart, long dataSize) {
        JsonNode root = readJson(file, header);
        if (!root.isObject())
            throw new Blt4jException(file + ": safetensors header must be a JSON object, got " + root.getNodeType());

        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = Map.of();
        // Offsets relative to the data section, for the tiling check.
        List<long[]> spans = new ArrayList<>();
        List<String> spanNames = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            String name = e.getKey();
            if (name.equals(METADATA_KEY)) {
                metadata = readMetadata(file, e.getValue());
                continue;
            }
            long[] span = new long[2];
            TensorInfo info = readTensor(file, name, e.getValue(), dataStart, dataSize, span);
            tensors.put(name, info);
            spans.add(span);
            spanNames.add(name);
        }
        checkTiling(file, spans, spanNames, dataSize);
        return new SafeTensorsHeader(Collections.unmodifiableMap(tensors), metadata);
    }

    private static JsonNode readJson(String file, byte[] header) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(header)).toString();
        } catch (CharacterCodingException ex) {
            throw new Blt4jException(file + ": safetensors header is not valid UTF-8", ex);
        }
        try {
            JsonNode root = Json.MAPPER.readTree(text);
            if (root == null || root.isMissingNode())
                throw new Blt4jException(file + ": safetensors header is empty (expected a JSON object)");
            return root;
        } catch (JacksonException ex) {
            throw new Blt4jException(file + ": safetensors header is not valid JSON: " + Json.describe(ex), ex);
        }
    }

    private static Map<String, String> readMetadata(String file, JsonNode node) {
        if (!node.isObject())
            throw new Blt4jException(file + ": " + METADATA_KEY + " must be a JSON object of strings, got " + node.getNodeType());
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            if (!e.getValue().isTextual())
                throw new Blt4jException(file + ": " + METADATA_KEY + " value of '" + e.getKey()
                        + "' must be a string, got " + e.getValue().getNodeType());
            out.put(e.getKey(), e.getValue().textValue());
        }
        return Collections.unmodifiableMap(out);
    }

    private static TensorInfo readTensor(String file, String name, JsonNode node, long dataStart, long dataSize,
                                         long[] span) {
        String where = "tensor '" + name + "' in " + file;
        if (!node.isObject())
            throw new Blt4jException(where + ": header entry must be a JSON object, got " + node.getNodeType());

        JsonNode dt = node.get("dtype");
        if (dt == null) throw new Blt4jException(where + ": missing field \"dtype\"");
        if (!dt.isTextual()) throw new Blt4jException(where + ": field \"dtype\" must be a string, got " + dt);
        DType dtype = DType.forName(dt.textValue()).orElseThrow(() -> new Blt4jException(where + ": unsupported dtype '"
                + dt.textValue() + "' (blt4j reads " + DType.supportedNames() + ")"));

        long[] shape = longArray(where, node, "shape", -1);
        long[] offsets = longArray(where, node, "data_offsets", 2);
        long begin = offsets[0], end = offsets[1];

        long numel = 1;
        long bytes;
        try {
            for (long d : shape) numel = Math.multiplyExact(numel, d);
            bytes = Math.multiplyExact(numel, (long) dtype.byteSize());
        } catch (ArithmeticException ex) {
            throw new Blt4jException(where + ": shape " + Arrays.toString(shape) + " is too large");
        }
        if (begin > end)
            throw new Blt4jException(where + ": data_offsets [" + begin + ", " + end + "] begin after they end");
        if (end > dataSize)
            throw new Blt4jException(where + ": data_offsets [" + begin + ", " + end + "] run past the end of the file"
                    + " (the data section holds " + dataSize + " bytes)");
        if (end - begin != bytes)
            throw new Blt4jException(where + ": shape " + Arrays.toString(shape) + " of " + dtype + " needs "
                    + bytes + " bytes but data_offsets [" + begin + ", " + end + "] hold " + (end - begin));
        span[0] = begin;
        span[1] = end;
        return new TensorInfo(name, dtype, shape, dataStart + begin, bytes);
    }

    /** Reads an array of non-negative integers; {@code size} < 0 means any length. */
    private static long[] longArray(String where, JsonNode entry, String field, int size) {
        JsonNode arr = entry.get(field);
        if (arr == null) throw new Blt4jException(where + ": missing field \"" + field + "\"");
        if (!arr.isArray()) throw new Blt4jException(where + ": field \"" + field + "\" must be an array, got " + arr.getNodeType());
        if (size >= 0 && arr.size() != size)
            throw new Blt4jException(where + ": field \"" + field + "\" must have " + size + " entries, got " + arr.size());
        long[] out = new long[arr.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = arr.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0)
                throw new Blt4jException(where + ": field \"" + field + "\" entry " + i + " must be a non-negative integer, got "
                        + shorten(v.toString()));
            out[i] = v.longValue();
        }
        return out;
    }

    /** The tensors' byte spans must cover [0, dataSize) exactly once. */
    private static void checkTiling(String file, List<long[]> spans, List<String> names, long dataSize) {
        Integer[] order = new Integer[spans.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, Comparator.<Integer>comparingLong(i -> spans.get(i)[0]).thenComparingLong(i -> spans.get(i)[1]));
        long pos = 0;
        String prev = null;
        for (int i : order) {
            long begin = spans.get(i)[0], end = spans.get(i)[1];
            if (begin < pos)
                throw new Blt4jException("tensor '" + names.get(i) + "' in " + file + ": data_offsets [" + begin + ", "
                        + end + "] overlap tensor '" + prev + "' (which ends at " + pos + ")");
            if (begin > pos)
                throw new Blt4jException("tensor '" + names.get(i) + "' in " + file + ": data_offsets start at " + begin
                        + " leaving a gap of " + (begin - pos) + " unused bytes after "
                        + (prev == null ? "the start of the data" : "tensor '" + prev + "'"));
            pos = end;
            prev = names.get(i);
        }
        if (pos != dataSize)
            throw new Blt4jException(file + ": " + (dataSize - pos) + " bytes after the last tensor are not described"
                    + " by the header (truncated header or extra data)");
    }

    private static String shorten(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }
}
