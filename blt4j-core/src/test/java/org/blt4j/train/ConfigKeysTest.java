package org.blt4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.blt4j.Blt4jException;
import org.blt4j.io.Json;
import org.blt4j.model.BltArgs;
import org.blt4j.model.LmArgs;
import org.junit.jupiter.api.Test;

/** A config key that is accepted is used; one blt4j does not implement or know is refused with a clear message. */
class ConfigKeysTest {
    static ObjectNode config() throws Exception {
        return (ObjectNode) Json.MAPPER.readTree("""
                {"model": {"args": {"dim": 16, "n_layers": 1, "n_heads": 2}}, "data": {"path": "x.txt"}}""");
    }

    static void assertRefused(Runnable r, String... parts) {
        Blt4jException e = assertThrows(Blt4jException.class, r::run);
        for (String p : parts) assertTrue(e.getMessage().contains(p), "'" + e.getMessage() + "' lacks '" + p + "'");
    }

    @Test
    void scheduleIsAnEnum() throws Exception {
        assertEquals(LrSchedule.Kind.WSD, TrainConfig.fromTree(config(), List.of("optim.schedule=wsd"), "t").optim().schedule());
        assertEquals(LrSchedule.Kind.COSINE, TrainConfig.fromTree(config(), List.of(), "t").optim().schedule());
        assertRefused(() -> TrainConfig.fromTree(cfg(), List.of("optim.schedule=cosin"), "t"), "cosin", "cosine", "inv_sqrt", "wsd", "constant");
        assertEquals("wsd", TrainConfig.fromTree(config(), List.of("optim.schedule=wsd"), "t").toTree().path("optim").path("schedule").asText());
    }

    @Test
    void unknownKeysAreRefused() throws Exception {
        assertRefused(() -> TrainConfig.fromTree(cfg(), List.of("data.patching.mode=space"), "t"), "patching", "known");
        TrainConfig.fromTree(cfg(), List.of("data.patching=null"), "t");   // what state.json of older runs holds: unset
        ObjectNode args = (ObjectNode) config().path("model").path("args");
        args.put("n_layer", 3);
        assertRefused(() -> Training.bind(args, LmArgs.class), "n_layer", "n_layers");
    }

    @Test
    void bltKeysBlt4jDoesNotImplementAreRefused() throws Exception {
        ObjectNode args = (ObjectNode) Json.MAPPER.readTree("""
                {"dim_global": 32, "dim_local_encoder": 16, "dim_local_decoder": 16, "n_layers_global": 1,
                 "n_layers_local_encoder": 1, "n_layers_local_decoder": 1, "n_heads_global": 2, "n_heads_local_encoder": 2,
                 "n_heads_local_decoder": 2, "cross_attn_encoder": true, "cross_attn_decoder": true,
                 "cross_attn_init_by_pooling": true, "cross_attn_nheads": 2}""");
        Training.bind(args, BltArgs.class);
        assertRefused(() -> Training.bind(args.deepCopy().put("use_rope", false), BltArgs.class), "use_rope", "RoPE only");
        assertRefused(() -> Training.bind(args.deepCopy().put("use_local_encoder_transformer", false), BltArgs.class),
                "use_local_encoder_transformer");
        assertRefused(() -> Training.bind(args.deepCopy().put("patching_mode", "entropyy"), BltArgs.class), "entropyy", "static");
    }

    /** The bundled configs use only keys blt4j knows. */
    @Test
    void bundledConfigsBind() throws Exception {
        try (Stream<Path> s = Files.list(Path.of("..", "configs"))) {
            for (Path p : s.toList()) {
                TrainConfig c = TrainConfig.load(p, List.of());
                JsonNode args = c.model().args().deepCopy();
                if (args.has("dim_global")) {
                    ((ObjectNode) args).put("patching_threshold", 1.0);   // "auto" is resolved from the data
                    Training.bind(args, BltArgs.class);
                } else Training.bind(args, LmArgs.class);
            }
        }
    }

    private static ObjectNode cfg() {
        try {
            return config();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
