package org.blt4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.blt4j.Blt4jException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each malformed file gives a Blt4jException whose message names the file and the offending tensor or field. */
class SafeTensorsMalformedTest {
    @TempDir
    Path tmp;

    private Path file;

    private String fail(byte[] content, String... fragments) {
        file = RawSafeTensors.write(tmp, "bad.safetensors", content);
        Blt4jException e = assertThrows(Blt4jException.class, () -> SafeTensors.open(file).close());
        String msg = e.getMessage();
        assertTrue(msg.contains(file.toString()), "names the file: " + msg);
        for (String f : fragments) assertTrue(msg.contains(f), "contains '" + f + "': " + msg);
        return msg;
    }

    /** A file whose header is {@code json} followed by {@code dataBytes} zero bytes. */
    private String failHeader(String json, int dataBytes, String... fragments) {
        return fail(RawSafeTensors.bytes(json, dataBytes), fragments);
    }

    private static String t(String name, String body) {
        return "\"" + name + "\":{" + body + "}";
    }

    private static String t(String name, String dtype, String shape, String offsets) {
        return t(name, "\"dtype\":" + dtype + ",\"shape\":" + shape + ",\"data_offsets\":" + offsets);
    }

    @Test
    void tooShortOrMissing() {
        fail(new byte[0], "too short");
        fail(new byte[5], "too short");
        Path missing = tmp.resolve("none.safetensors");
        Blt4jException e = assertThrows(Blt4jException.class, () -> SafeTensors.open(missing));
        assertTrue(e.getMessage().contains(missing.toString()) && e.getMessage().contains("does not exist"), e.getMessage());
        e = assertThrows(Blt4jException.class, () -> SafeTensors.open(tmp));
        assertTrue(e.getMessage().contains("folder"), e.getMessage());
    }

    @Test
    void headerLengthBeyondTheFile() {
        byte[] h = "{}".getBytes(StandardCharsets.UTF_8);
        fail(RawSafeTensors.bytes(1000, h, new byte[0]), "header length 1000", "larger than the file");
        fail(RawSafeTensors.bytes(5_000_000_000L, h, new byte[0]), "header length 5000000000", "larger than the file");
        fail(RawSafeTensors.bytes(-1, h, new byte[0]), "header length 18446744073709551615", "larger than the file");
        fail(RawSafeTensors.bytes(3, h, new byte[0]), "larger than the file");
    }

    @Test
    void absurdHeaderLengthIsNotAllocated() throws Exception {
        // A sparse 300 MB file that claims a 250 MB header: refused by the cap before any allocation.
        Path big = tmp.resolve("sparse.safetensors");
        try (RandomAccessFile f = new RandomAccessFile(big.toFile(), "rw")) {
            f.setLength(300_000_000L);
            f.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(250_000_000L).array());
        }
        Blt4jException e = assertThrows(Blt4jException.class, () -> SafeTensors.open(big));
        assertTrue(e.getMessage().contains(big.toString()) && e.getMessage().contains("exceeds the limit"), e.getMessage());
    }

    @Test
    void badJson() {
        failHeader("{\"a\": ", 0, "not valid JSON");
        failHeader("{} trailing", 0, "not valid JSON");
        String msg = failHeader("{\"a\": [1}", 0, "not valid JSON", "(line 1, column 9)");
        assertFalse(msg.contains("Source:"), msg);
        failHeader("", 0, "empty");
        failHeader("[1, 2]", 0, "must be a JSON object");
        failHeader("{" + t("t", "\"F32\"", "[1]", "[0,4]") + "," + t("t", "\"F32\"", "[1]", "[4,8]") + "}", 8,
                "not valid JSON", "Duplicate", "'t'");
        byte[] latin1 = "{\"caf\u00e9\": 1}".getBytes(StandardCharsets.ISO_8859_1);
        fail(RawSafeTensors.bytes(latin1.length, latin1, new byte[0]), "not valid UTF-8");
    }

    @Test
    void missingOrIllTypedFields() {
        failHeader("{\"t\": 5}", 0, "tensor 't'", "JSON object");
        failHeader("{" + t("t", "\"shape\":[1],\"data_offsets\":[0,4]") + "}", 4, "tensor 't'", "missing field \"dtype\"");
        failHeader("{" + t("t", "4", "[1]", "[0,4]") + "}", 4, "tensor 't'", "\"dtype\" must be a string");
        failHeader("{" + t("t", "\"dtype\":\"F32\",\"data_offsets\":[0,4]") + "}", 4, "tensor 't'", "missing field \"shape\"");
        failHeader("{" + t("t", "\"dtype\":\"F32\",\"shape\":[1]") + "}", 4, "tensor 't'", "missing field \"data_offsets\"");
        failHeader("{" + t("t", "\"F32\"", "1", "[0,4]") + "}", 4, "tensor 't'", "\"shape\" must be an array");
        failHeader("{" + t("t", "\"F32\"", "[1]", "[0,4,8]") + "}", 4, "tensor 't'", "\"data_offsets\" must have 2 entries");
        failHeader("{" + t("t", "\"F32\"", "[1]", "[-4,0]") + "}", 4, "tensor 't'", "data_offsets", "non-negative integer");
    }

    @Test
    void unknownDtypeIsNamed() {
        String msg = failHeader("{" + t("ids", "\"I64\"", "[1]", "[0,8]") + "}", 8, "tensor 'ids'", "'I64'");
        assertTrue(msg.contains("F32, BF16, F16"), msg);
    }

    @Test
    void badShapes() {
        failHeader("{" + t("t", "\"F32\"", "[-1, 2]", "[0,4]") + "}", 4, "tensor 't'", "\"shape\" entry 0", "non-negative integer");
        failHeader("{" + t("t", "\"F32\"", "[1, 1.5]", "[0,4]") + "}", 4, "tensor 't'", "\"shape\" entry 1");
        failHeader("{" + t("t", "\"F32\"", "[\"2\"]", "[0,8]") + "}", 8, "tensor 't'", "\"shape\" entry 0");
        failHeader("{" + t("t", "\"F32\"", "[99999999999999999999]", "[0,4]") + "}", 4, "tensor 't'", "\"shape\"");
        failHeader("{" + t("t", "\"F32\"", "[1e3]", "[0,4000]") + "}", 4000, "tensor 't'", "\"shape\"");
        failHeader("{" + t("t", "\"F32\"", "[1099511627776, 1099511627776]", "[0,4]") + "}", 4, "tensor 't'", "too large");
    }

    @Test
    void offsetsThatDoNotMatch() {
        failHeader("{" + t("t", "\"BF16\"", "[3]", "[0,4]") + "}", 4, "tensor 't'", "needs 6 bytes", "hold 4");
        failHeader("{" + t("t", "\"F32\"", "[2]", "[0,8]") + "}", 4, "tensor 't'", "run past the end of the file");
        failHeader("{" + t("t", "\"F32\"", "[1]", "[8,4]") + "}", 8, "tensor 't'", "[8, 4]");
        failHeader("{" + t("a", "\"F32\"", "[2]", "[0,8]") + "," + t("b", "\"F32\"", "[2]", "[4,12]") + "}", 12,
                "tensor 'b'", "overlap tensor 'a'");
        failHeader("{" + t("a", "\"F32\"", "[1]", "[0,4]") + "," + t("b", "\"F32\"", "[1]", "[8,12]") + "}", 12,
                "tensor 'b'", "gap of 4");
        failHeader("{" + t("a", "\"F32\"", "[1]", "[4,8]") + "}", 8, "tensor 'a'", "gap of 4");
        failHeader("{" + t("a", "\"F32\"", "[1]", "[0,4]") + "}", 16, "12 bytes after the last tensor");
    }

    @Test
    void metadataMustMapStringsToStrings() {
        failHeader("{\"__metadata__\": {\"n\": 3}}", 0, "__metadata__", "'n'");
        failHeader("{\"__metadata__\": [1]}", 0, "__metadata__");
    }

    @Test
    void aValidHandWrittenFileOpens() throws Exception {
        // Control: the hand-built format used above is right, so the failures are about the injected defects.
        byte[] data = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(1.5f).putFloat(-2f).array();
        String h = "{\"__metadata__\":{\"k\":\"v\"}," + t("t", "\"F32\"", "[2]", "[0,8]") + "," + t("z", "\"F16\"", "[0]", "[8,8]") + "}";
        byte[] hb = h.getBytes(StandardCharsets.UTF_8);
        file = Files.write(tmp.resolve("ok.safetensors"), RawSafeTensors.bytes(hb.length, hb, data));
        try (SafeTensors st = SafeTensors.open(file)) {
            assertEquals(1.5f, st.floats("t")[0]);
            assertEquals(-2f, st.floats("t")[1]);
            assertEquals(0, st.floats("z").length);
            assertEquals("v", st.metadata().get("k"));
            assertEquals(8 + hb.length, st.info("t").byteOffset()); // unaligned data start is fine
        }
    }
}
