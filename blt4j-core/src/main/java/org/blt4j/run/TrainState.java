package org.blt4j.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import org.blt4j.Blt4jException;

/**
 * Where a training run stands, next to its weights and optimizer moments in a {@link TrainCheckpoint}.
 *
 * @param step          optimizer steps done (the checkpoint is taken after this many updates)
 * @param tokensSeen    model positions trained on so far (byte tokens, BOS/EOS included)
 * @param bytesSeen     corpus bytes consumed so far
 * @param dataPosition  where the data iterator resumes (its own meaning: a byte offset, a batch index, ...)
 * @param lrStep        the learning-rate schedule's step (usually {@code step})
 * @param rngState      the words of the caller's random generator state (empty when the run uses none)
 * @param trainConfig   the training configuration as JSON (an object; empty when not given)
 * @param extra         anything else the caller wants back on resume (an object; empty when not given)
 */
public record TrainState(long step, long tokensSeen, long bytesSeen, long dataPosition, long lrStep,
                         List<Long> rngState, JsonNode trainConfig, JsonNode extra) {
    static final String FORMAT = "blt4j-train-state";
    static final int VERSION = 1;

    public TrainState {
        if (step < 0 || tokensSeen < 0 || bytesSeen < 0 || lrStep < 0)
            throw new Blt4jException("train state: step, tokens_seen, bytes_seen and lr_step must be >= 0, got "
                    + step + ", " + tokensSeen + ", " + bytesSeen + ", " + lrStep);
        rngState = rngState == null ? List.of() : List.copyOf(rngState);
        trainConfig = object("train_config", trainConfig);
        extra = object("extra", extra);
    }

    /** The state of a fresh run at step 0 with this training configuration. */
    public static TrainState start(JsonNode trainConfig) {
        return new TrainState(0, 0, 0, 0, 0, List.of(), trainConfig, null);
    }

    @Override
    public JsonNode trainConfig() {
        return trainConfig.deepCopy();
    }

    @Override
    public JsonNode extra() {
        return extra.deepCopy();
    }

    private static JsonNode object(String what, JsonNode node) {
        if (node == null || node.isNull()) return JsonNodeFactory.instance.objectNode();
        if (!node.isObject()) throw new Blt4jException("train state: " + what + " must be a JSON object, got " + node.getNodeType());
        return node.deepCopy();
    }

    // ---- state.json ----

    ObjectNode toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("format", FORMAT).put("version", VERSION);
        o.put("step", step).put("tokens_seen", tokensSeen).put("bytes_seen", bytesSeen)
                .put("data_position", dataPosition).put("lr_step", lrStep);
        ArrayNode rng = o.putArray("rng_state");
        rngState.forEach(rng::add);
        o.set("train_config", trainConfig.deepCopy());
        o.set("extra", extra.deepCopy());
        return o;
    }

    /** Reads state.json's tree; {@code file} names it in errors. */
    static TrainState fromJson(JsonNode o, String file) {
        if (o == null || !o.isObject()) throw new Blt4jException(file + ": expected a JSON object");
        JsonNode format = o.get("format");
        if (format == null || !FORMAT.equals(format.asText()))
            throw new Blt4jException(file + ": not a blt4j training state (\"format\" is not \"" + FORMAT + "\")");
        long version = integer(o, "version", file);
        if (version != VERSION)
            throw new Blt4jException(file + ": training state version " + version + " is not supported (this build reads "
                    + VERSION + ")");
        JsonNode rngNode = o.get("rng_state");
        List<Long> rng = new ArrayList<>();
        if (rngNode != null && !rngNode.isNull()) {
            if (!rngNode.isArray()) throw new Blt4jException(file + ": \"rng_state\" must be an array of integers");
            for (JsonNode w : rngNode) {
                if (!w.isIntegralNumber() || !w.canConvertToLong())
                    throw new Blt4jException(file + ": \"rng_state\" must hold 64-bit integers, found " + w);
                rng.add(w.longValue());
            }
        }
        try {
            return new TrainState(integer(o, "step", file), integer(o, "tokens_seen", file), integer(o, "bytes_seen", file),
                    integer(o, "data_position", file), integer(o, "lr_step", file), rng, o.get("train_config"),
                    o.get("extra"));
        } catch (Blt4jException e) {
            throw new Blt4jException(file + ": " + e.getMessage(), e);
        }
    }

    private static long integer(JsonNode o, String key, String file) {
        JsonNode n = o.get(key);
        if (n == null) throw new Blt4jException(file + ": missing \"" + key + "\"");
        if (!n.isIntegralNumber() || !n.canConvertToLong())
            throw new Blt4jException(file + ": \"" + key + "\" must be a 64-bit integer, got " + n);
        return n.longValue();
    }
}
