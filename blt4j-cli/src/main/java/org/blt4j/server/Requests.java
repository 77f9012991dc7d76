package org.blt4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Parses and checks request bodies; every problem becomes a 422 naming the field. */
final class Requests {
    private Requests() {}

    /** A checked POST /v1/completions request. seed is null when not given. */
    record Completion(String prompt, byte[] promptBytes, int maxTokens, double temperature, double topP, int topK,
                      Long seed, List<String> stop, boolean stream, boolean ignoreEos) {}

    /** A checked POST /v1/patch request; threshold null = the server's. */
    record Patch(String text, byte[] bytes, Double threshold) {}

    static Completion completion(JsonNode body, ServerLimits limits) {
        String prompt = requiredString(body, "prompt", "a string (lists of prompts are not supported)");
        byte[] promptBytes = prompt.getBytes(StandardCharsets.UTF_8);
        if (promptBytes.length > limits.maxPromptBytes())
            throw ApiError.invalidField("prompt", "is " + promptBytes.length + " bytes; at most " + limits.maxPromptBytes() + " are allowed");
        int maxTokens = (int) integer(body, "max_tokens", Math.min(limits.defaultMaxTokens(), limits.maxOutputBytes()), 0,
                limits.maxOutputBytes());
        double temperature = number(body, "temperature", 1.0, 0, 10);
        double topP = number(body, "top_p", 1.0, 0, 1);
        if (topP == 0) throw ApiError.invalidField("top_p", "must be in (0, 1], got 0");
        int topK = (int) integer(body, "top_k", 0, 0, 1 << 20);
        Long seed = has(body, "seed") ? integer(body, "seed", 0, Long.MIN_VALUE, Long.MAX_VALUE) : null;
        List<String> stop = stops(body.get("stop"));
        boolean stream = bool(body, "stream", false);
        boolean ignoreEos = bool(body, "ignore_eos", false); // not OpenAI's (vLLM has it): generate on past EOS
        // OpenAI fields this server cannot honour: values that would change the answer are refused, defaults accepted
        integer(body, "n", 1, 1, 1);
        integer(body, "best_of", 1, 1, 1);
        integer(body, "logprobs", 0, 0, 0);
        number(body, "presence_penalty", 0, 0, 0);
        number(body, "frequency_penalty", 0, 0, 0);
        if (bool(body, "echo", false)) throw ApiError.invalidField("echo", "is not supported (must be false)");
        if (has(body, "suffix")) throw ApiError.invalidField("suffix", "is not supported");
        return new Completion(prompt, promptBytes, maxTokens, temperature, topP, topK, seed, stop, stream, ignoreEos);
    }

    static Patch patch(JsonNode body, ServerLimits limits) {
        String text = requiredString(body, "text", "a string");
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        int max = limits.maxPromptBytes() + limits.maxOutputBytes();
        if (bytes.length > max)
            throw ApiError.invalidField("text", "is " + bytes.length + " bytes; at most " + max + " are allowed");
        Double threshold = has(body, "threshold") ? number(body, "threshold", 0, 0, 100) : null;
        return new Patch(text, bytes, threshold);
    }

    private static boolean has(JsonNode body, String field) {
        JsonNode v = body.get(field);
        return v != null && !v.isNull();
    }

    private static String requiredString(JsonNode body, String field, String what) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) throw ApiError.invalidField(field, "is required");
        if (!v.isTextual()) throw ApiError.invalidField(field, "must be " + what + ", got " + kind(v));
        return wellFormed(field, v.textValue());
    }

    /**
     * The string, unless it holds a lone UTF-16 surrogate ("\ud800" in the JSON): that is no text, UTF-8 cannot
     * carry it (it would silently become '?'), so the request is refused (400) naming the field.
     */
    static String wellFormed(String field, String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) i++;
            else if (Character.isSurrogate(c))
                throw new ApiError(400, "invalid_request_error", field + ": holds a lone UTF-16 surrogate \\u"
                        + Integer.toHexString(c) + " at char " + i + ", which is not text; send well-formed Unicode", field, 0);
        }
        return s;
    }

    /** An integer field in [min, max] (absent or null: the default). 1.0 counts as an integer, 1.5 does not. */
    private static long integer(JsonNode body, String field, long dflt, long min, long max) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) return dflt;
        if (!v.isNumber()) throw ApiError.invalidField(field, "must be an integer, got " + kind(v));
        if ((v.isDouble() || v.isFloat()) && !Double.isFinite(v.doubleValue()))
            throw ApiError.invalidField(field, "must be an integer, got " + shortText(v));
        BigDecimal d = v.decimalValue();   // exact: integers, big integers, decimals as written
        if (d.signum() != 0 && d.stripTrailingZeros().scale() > 0)
            throw ApiError.invalidField(field, "must be an integer, got " + shortText(v));
        if (d.compareTo(BigDecimal.valueOf(min)) < 0 || d.compareTo(BigDecimal.valueOf(max)) > 0)
            throw ApiError.invalidField(field, "must be " + range(min, max) + ", got " + shortText(v));
        return d.longValueExact();
    }

    private static double number(JsonNode body, String field, double dflt, double min, double max) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) return dflt;
        if (!v.isNumber()) throw ApiError.invalidField(field, "must be a number, got " + kind(v));
        double d = v.doubleValue();
        if (!(d >= min && d <= max)) throw ApiError.invalidField(field, (min == max ? "must be " + min : "must be a number in [" + min + ", " + max + "]") + ", got " + shortText(v));
        return d;
    }

    private static boolean bool(JsonNode body, String field, boolean dflt) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) return dflt;
        if (!v.isBoolean()) throw ApiError.invalidField(field, "must be true or false, got " + kind(v));
        return v.booleanValue();
    }

    private static List<String> stops(JsonNode v) {
        List<String> out = new ArrayList<>();
        if (v == null || v.isNull()) return out;
        if (v.isTextual()) out.add(wellFormed("stop", v.textValue()));
        else if (v.isArray()) {
            if (v.size() > ServerLimits.MAX_STOPS)
                throw ApiError.invalidField("stop", "at most " + ServerLimits.MAX_STOPS + " stop strings, got " + v.size());
            for (JsonNode s : v) {
                if (!s.isTextual()) throw ApiError.invalidField("stop", "must be a string or a list of strings; found " + kind(s));
                out.add(wellFormed("stop", s.textValue()));
            }
        } else throw ApiError.invalidField("stop", "must be a string or a list of strings, got " + kind(v));
        for (String s : out) {
            if (s.isEmpty()) throw ApiError.invalidField("stop", "stop strings must not be empty");
            if (s.getBytes(StandardCharsets.UTF_8).length > ServerLimits.MAX_STOP_BYTES)
                throw ApiError.invalidField("stop", "stop strings may be at most " + ServerLimits.MAX_STOP_BYTES + " bytes");
        }
        return out;
    }

    private static String range(long min, long max) {
        if (min == max) return "exactly " + min;
        if (min == Long.MIN_VALUE && max == Long.MAX_VALUE) return "a 64-bit integer, in [" + min + ", " + max + "]";
        if (max == Long.MAX_VALUE) return "an integer >= " + min;
        return "an integer in [" + min + ", " + max + "]";
    }

    /** A number as written, cut short for messages. */
    private static String shortText(JsonNode v) {
        String s = v.toString();
        return s.length() <= 32 ? s : s.substring(0, 29) + "...";
    }

    /** The JSON type of a value, for messages (never the value itself, which may be large). */
    static String kind(JsonNode v) {
        return switch (v.getNodeType()) {
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            case NULL -> "null";
            default -> v.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
        };
    }
}
