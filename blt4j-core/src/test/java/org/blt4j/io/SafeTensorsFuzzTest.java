package org.blt4j.io;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.blt4j.Blt4jException;
import org.blt4j.tensor.RowTable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded random corruptions of a golden model.safetensors: opening and reading every tensor must either work or
 * throw Blt4jException, never anything else (no IndexOutOfBounds, OutOfMemoryError, Jackson or IllegalArgument
 * exceptions). A file that opens must also read completely, since open() validates everything up front.
 */
class SafeTensorsFuzzTest {
    private static final int ROUNDS = 600;
    private static final String[] NASTY = {"-1", "0", "1.5", "1e400", "-0", "99999999999999999999999", "9223372036854775807",
            "4611686018427387904", "2147483648", "\"7\"", "null", "[]", "{}", "true", "[0,0]", "1E2"};
    private static final String[] DTYPES = {"BF16", "F16", "F64", "I8", "bf16", "", "F32 ", "U8"};
    private static final Pattern NUMBER = Pattern.compile("-?\\d+");

    @TempDir
    Path tmp;

    @Test
    void corruptionsOnlyEverRaiseBlt4jException() throws Exception {
        Path golden = RawSafeTensors.goldenFiles().stream()
                .filter(p -> p.getFileName().toString().equals(Checkpoint.WEIGHTS))
                .min(Comparator.comparingLong(p -> p.toFile().length())).orElseThrow();
        byte[] orig = Files.readAllBytes(golden);
        Path file = tmp.resolve("fuzz.safetensors");
        int opened = 0, rejected = 0;
        List<String> kinds = new ArrayList<>();
        for (int seed = 0; seed < ROUNDS; seed++) {
            SplittableRandom r = new SplittableRandom(seed);
            kinds.clear();
            byte[] bad = mutate(orig, r, kinds);
            if (r.nextInt(4) == 0) bad = mutate(bad, r, kinds); // sometimes two corruptions
            Files.write(file, bad);
            SafeTensors st;
            try {
                st = SafeTensors.open(file);
            } catch (Blt4jException e) {
                assertTrue(e.getMessage().contains(file.toString()), "seed " + seed + " " + kinds + ": " + e.getMessage());
                rejected++;
                continue;
            } catch (Throwable t) {
                throw new AssertionError("seed " + seed + " " + kinds + ": open threw " + t, t);
            }
            try (st) {
                readAll(st);
                opened++;
            } catch (Throwable t) {
                fail("seed " + seed + " " + kinds + ": a file that opened failed to read: " + t, t);
            }
        }
        assertTrue(rejected > ROUNDS / 2, "most corruptions are caught: " + rejected);
        assertTrue(opened > 0, "some corruptions (e.g. of data bytes or metadata-free splices) still open");
    }

    private static void readAll(SafeTensors st) {
        for (String name : st.names()) {
            TensorInfo t = st.info(name);
            float[] v = st.floats(name);
            if (v.length != t.numel()) throw new AssertionError("length of " + name);
            st.segment(name);
            if (t.rank() == 2 && t.dim(0) > 0) {
                RowTable rows = st.rows(name);
                float[] acc = new float[rows.dim()];
                rows.addRowTo(0, acc, 0);
                rows.addRowTo(rows.rows() - 1, acc, 0);
            }
        }
    }

    private static byte[] mutate(byte[] in, SplittableRandom r, List<String> kinds) {
        byte[] b = in.clone();
        long n = in.length >= 8 ? ByteBuffer.wrap(in).order(ByteOrder.LITTLE_ENDIAN).getLong() : 0;
        int hdrEnd = (int) Math.max(8, Math.min(in.length, 8 + Math.max(0, Math.min(n, in.length))));
        int kind = r.nextInt(10);
        kinds.add(switch (kind) {
            case 0 -> "flip header bytes";
            case 1 -> "flip a length bit";
            case 2 -> "random length";
            case 3 -> "truncate";
            case 4 -> "splice header";
            case 5 -> "insert/delete header bytes";
            case 6 -> "nasty number";
            case 7 -> "structural char";
            case 8 -> "dtype swap";
            default -> "append or flip data";
        });
        if (b.length < 9 && kind != 2 && kind != 1) return Arrays.copyOf(b, r.nextInt(9));
        switch (kind) {
            case 0 -> {
                int flips = 1 + r.nextInt(8);
                for (int i = 0; i < flips && hdrEnd > 8; i++) b[8 + r.nextInt(hdrEnd - 8)] = (byte) r.nextInt(256);
            }
            case 1 -> {
                if (b.length >= 8) b[r.nextInt(8)] ^= (byte) (1 << r.nextInt(8));
            }
            case 2 -> {
                long len = switch (r.nextInt(3)) {
                    case 0 -> r.nextLong();
                    case 1 -> r.nextLong(0, 2L * b.length + 16);
                    default -> n + r.nextInt(-16, 17);
                };
                if (b.length >= 8) ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, len);
            }
            case 3 -> b = Arrays.copyOf(b, r.nextInt(b.length));
            case 4 -> {
                if (hdrEnd > 9) {
                    int len = 1 + r.nextInt(Math.min(64, hdrEnd - 8));
                    int from = 8 + r.nextInt(hdrEnd - 8 - len + 1), to = 8 + r.nextInt(hdrEnd - 8 - len + 1);
                    System.arraycopy(in, from, b, to, len);
                }
            }
            case 5 -> b = editHeader(in, n, hdrEnd, r);
            case 6 -> b = replaceToken(in, n, hdrEnd, NUMBER, NASTY[r.nextInt(NASTY.length)], r);
            case 7 -> {
                String structural = "{}[]:,\"";
                List<Integer> at = new ArrayList<>();
                for (int i = 8; i < hdrEnd; i++) if (structural.indexOf(b[i]) >= 0) at.add(i);
                if (!at.isEmpty()) b[at.get(r.nextInt(at.size()))] = (byte) structural.charAt(r.nextInt(structural.length()));
            }
            case 8 -> b = replaceToken(in, n, hdrEnd, Pattern.compile("F32"), DTYPES[r.nextInt(DTYPES.length)], r);
            default -> {
                if (r.nextBoolean()) {
                    b = Arrays.copyOf(b, b.length + 1 + r.nextInt(16));
                } else if (b.length > hdrEnd) {
                    for (int i = 0; i < 32; i++) b[hdrEnd + r.nextInt(b.length - hdrEnd)] = (byte) r.nextInt(256);
                }
            }
        }
        return b;
    }

    /** Inserts or deletes a few header bytes; half the time the length prefix is fixed up to match. */
    private static byte[] editHeader(byte[] in, long n, int hdrEnd, SplittableRandom r) {
        if (hdrEnd <= 9) return in.clone();
        int pos = 8 + r.nextInt(hdrEnd - 8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(in, 0, pos);
        int delta;
        if (r.nextBoolean()) {
            int k = 1 + r.nextInt(8);
            for (int i = 0; i < k; i++) out.write(r.nextInt(32, 127));
            out.write(in, pos, in.length - pos);
            delta = k;
        } else {
            int k = Math.min(1 + r.nextInt(8), in.length - pos);
            out.write(in, pos + k, in.length - pos - k);
            delta = -k;
        }
        byte[] b = out.toByteArray();
        if (r.nextBoolean()) ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, n + delta);
        return b;
    }

    /** Replaces one random match of {@code p} in the header by {@code with}, keeping the length prefix consistent. */
    private static byte[] replaceToken(byte[] in, long n, int hdrEnd, Pattern p, String with, SplittableRandom r) {
        if (n != hdrEnd - 8) return in.clone();
        String header = new String(in, 8, hdrEnd - 8, StandardCharsets.ISO_8859_1);
        List<int[]> spans = new ArrayList<>();
        for (Matcher m = p.matcher(header); m.find(); ) spans.add(new int[] {m.start(), m.end()});
        if (spans.isEmpty()) return in.clone();
        int[] s = spans.get(r.nextInt(spans.size()));
        byte[] h = (header.substring(0, s[0]) + with + header.substring(s[1])).getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer out = ByteBuffer.allocate(8 + h.length + in.length - hdrEnd).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(h.length).put(h).put(in, hdrEnd, in.length - hdrEnd);
        return out.array();
    }
}
