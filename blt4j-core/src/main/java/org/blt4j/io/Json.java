package org.blt4j.io;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerationException;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.core.util.JsonGeneratorDelegate;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;

/**
 * The code base's Jackson mappers, configured once:
 * <ul>
 * <li>reading is strict: a duplicate key or content after the value is an error, and a number with a fraction is not
 *     an integer field's value (dim 64.5 was read as 64);</li>
 * <li>null record fields (e.g. BltArgs' unset options) are left out when a record becomes JSON;</li>
 * <li>JSON has no NaN or infinities: writing one is an error ({@link NonFiniteNumber}), never the string "NaN" that
 *     Jackson writes by default; callers that want to record such a value say so themselves (MetricsLog writes a
 *     string on purpose, the server answers 500).</li>
 * </ul>
 */
public final class Json {
    /** Thrown (wrapped by Jackson in nothing: it is a JsonGenerationException) when a NaN or an infinity is written. */
    public static final class NonFiniteNumber extends JsonGenerationException {
        NonFiniteNumber(double v, JsonGenerator g) {
            super("JSON has no number " + v + " (a NaN or an infinity was to be written)", g);
        }
    }

    public static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .disable(JsonWriteFeature.WRITE_NAN_AS_STRINGS)
                    .addDecorator((factory, g) -> new FiniteOnly(g))
                    .build())
            .defaultPropertyInclusion(JsonInclude.Value.construct(JsonInclude.Include.NON_NULL, JsonInclude.Include.ALWAYS))
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .build();

    /** YAML (training configs) with the same reading rules. */
    public static final ObjectMapper YAML = YAMLMapper.builder(new YAMLFactory())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .build();

    private Json() {}

    /** Jackson's message without its source dump, plus line and column when known, cut to a readable length. */
    public static String describe(JacksonException e) {
        String msg = e.getOriginalMessage();
        if (msg == null) msg = e.getClass().getSimpleName();
        // Jackson cites its (redacted) input as "[Source: ...; line: 1, column: 9]": keep only the position.
        msg = msg.replaceAll("\\[Source: [^\\]]*?line: (\\d+), column: (\\d+)\\]", "line $1, column $2")
                .replaceAll("\\[Source: [^\\]]*\\]", "")
                .replaceAll("\\s+", " ").strip();
        if (msg.length() > 200) msg = msg.substring(0, 200) + "...";
        if (e instanceof com.fasterxml.jackson.databind.JsonMappingException m && !m.getPath().isEmpty()) {
            StringBuilder at = new StringBuilder();   // the field that has the bad value, e.g. "dim" or "betas[1]"
            for (var r : m.getPath())
                if (r.getFieldName() != null) at.append(at.isEmpty() ? "" : ".").append(r.getFieldName());
                else if (r.getIndex() >= 0) at.append('[').append(r.getIndex()).append(']');
            if (!at.isEmpty()) msg = "field '" + at + "': " + msg;
        }
        JsonLocation loc = e.getLocation();
        if (loc != null && loc.getLineNr() > 0) msg += " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")";
        return msg;
    }

    /** Every double and float written goes through here (tree nodes, records, float[] and double[] alike). */
    private static final class FiniteOnly extends JsonGeneratorDelegate {
        FiniteOnly(JsonGenerator g) {
            super(g, false);
        }

        @Override
        public void writeNumber(double v) throws IOException {
            if (!Double.isFinite(v)) throw new NonFiniteNumber(v, this);
            super.writeNumber(v);
        }

        @Override
        public void writeNumber(float v) throws IOException {
            if (!Float.isFinite(v)) throw new NonFiniteNumber(v, this);
            super.writeNumber(v);
        }

        @Override
        public void writeArray(double[] a, int off, int len) throws IOException {
            for (int i = off; i < off + len; i++) if (!Double.isFinite(a[i])) throw new NonFiniteNumber(a[i], this);
            super.writeArray(a, off, len);
        }
    }
}
