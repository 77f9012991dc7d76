package org.blt4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

/** JSON written by blt4j never carries a number as a string: a NaN or an infinity is an error. */
class JsonTest {
    @Test
    void nonFiniteNumbersAreAnError() throws Exception {
        record R(double x) {}
        Object[] bad = {new float[] {1f, Float.NaN}, new double[] {Double.POSITIVE_INFINITY}, new R(Double.NaN),
                Json.MAPPER.createObjectNode().put("t", Float.NEGATIVE_INFINITY), Json.MAPPER.createObjectNode().putPOJO("h", new float[] {Float.NaN})};
        for (Object o : bad) {
            Exception e = assertThrows(com.fasterxml.jackson.core.JacksonException.class, () -> Json.MAPPER.writeValueAsString(o));
            assertTrue(e.getMessage().contains("JSON has no number"), e.getMessage());
        }
        ObjectNode ok = Json.MAPPER.createObjectNode().put("t", 1.5).putPOJO("h", new float[] {0.25f, 2f});
        assertEquals("{\"t\":1.5,\"h\":[0.25,2.0]}", Json.MAPPER.writeValueAsString(ok));
    }
}
