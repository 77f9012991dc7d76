package org.blt4j.token;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.blt4j.Blt4jException;
import org.blt4j.io.AtomicFiles;

/**
 * A byte-level BPE vocabulary as tiktoken stores it: one line {@code base64(token bytes) rank} per token, ranks dense
 * 0..n-1, token byte strings distinct, and all 256 single bytes present (so every byte sequence is encodable). A
 * token's rank is its id and its merge priority (lower merges first).
 */
public final class TiktokenRanks {
    private final byte[][] tokens; // [n] token bytes by rank

    /** {@code tokens.get(r)} is the bytes of rank r. */
    public TiktokenRanks(List<byte[]> tokens) {
        this.tokens = new byte[tokens.size()][];
        Map<ByteBuffer, Integer> seen = new HashMap<>();
        for (int r = 0; r < this.tokens.length; r++) {
            byte[] t = tokens.get(r);
            if (t == null || t.length == 0) throw new Blt4jException("BPE rank " + r + " has empty token bytes");
            this.tokens[r] = t.clone();
            Integer prev = seen.put(ByteBuffer.wrap(this.tokens[r]), r);
            if (prev != null) throw new Blt4jException("BPE ranks " + prev + " and " + r + " have the same bytes");
        }
        for (int b = 0; b < 256; b++)
            if (!seen.containsKey(ByteBuffer.wrap(new byte[] {(byte) b})))
                throw new Blt4jException(String.format("BPE ranks lack the single byte 0x%02x: not every byte sequence"
                        + " would be encodable", b));
    }

    public int size() {
        return tokens.length;
    }

    /** The bytes of token {@code rank} (a copy). */
    public byte[] token(int rank) {
        return tokens[rank].clone();
    }

    /** The rank of each single byte value: [256]. */
    public int[] byteRanks() {
        int[] out = new int[256];
        Arrays.fill(out, -1);
        for (int r = 0; r < tokens.length; r++) if (tokens[r].length == 1) out[tokens[r][0] & 0xff] = r;
        return out;
    }

    /** Token bytes → rank, the map jtokkit's GptBytePairEncodingParams takes. */
    public Map<byte[], Integer> encoderMap() {
        Map<byte[], Integer> m = new LinkedHashMap<>();
        for (int r = 0; r < tokens.length; r++) m.put(tokens[r].clone(), r);
        return m;
    }

    /** Line r of the tiktoken file: the token's bytes in base64, a space, the rank. */
    private String line(int r) {
        return Base64.getEncoder().encodeToString(tokens[r]) + " " + r + "\n";
    }

    /** The SHA-256 (hex) of the bytes {@link #write} writes: the file's own hash, for checking a kept copy. */
    public String sha256() {
        org.blt4j.io.Sha256 h = new org.blt4j.io.Sha256();
        for (int r = 0; r < tokens.length; r++) h.bytes(line(r).getBytes(StandardCharsets.US_ASCII));
        return h.hex(32);
    }

    /** Writes the tiktoken file atomically (a temporary sibling, then a rename). */
    public void write(Path file) {
        write(file, true);
    }

    /**
     * Writes the ranks file aside and renames it in; with {@code replace} false an existing file (one that appeared
     * since the caller checked: another bpe-train with the same --out) is refused and left as it is.
     */
    public void write(Path file, boolean replace) {
        AtomicFiles.removeStale(file);
        Path tmp = AtomicFiles.sibling(file, "tmp");
        try {
            try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.US_ASCII)) {
                for (int r = 0; r < tokens.length; r++) w.write(line(r));
            }
            if (replace) Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            else {
                try {
                    Files.createLink(file, tmp);   // fails when file exists: no replacing what another writer installed
                } catch (java.nio.file.FileAlreadyExistsException e) {
                    throw new Blt4jException("BPE ranks file " + file + " appeared while this one was trained (another bpe-train"
                            + " with the same --out?): it is left as it is; give a new file name");
                } catch (UnsupportedOperationException | IOException e) {
                    if (Files.exists(file)) throw new Blt4jException("BPE ranks file " + file + " exists: give a new file name");
                    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);   // no hard links here: a rename
                }
            }
            Path dir = file.toAbsolutePath().getParent();
            if (dir != null) AtomicFiles.fsyncDir(dir);
        } catch (IOException e) {
            throw new Blt4jException("cannot write BPE ranks file " + file + ": " + e.getMessage(), e);
        } finally {
            AtomicFiles.deleteQuietly(tmp);   // gone after the rename; left by a refusal or a failure otherwise
        }
    }

    /** Reads a tiktoken ranks file. */
    public static TiktokenRanks read(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return parse(in, file.toString());
        } catch (NoSuchFileException e) {
            throw new Blt4jException("no such BPE ranks file: " + file);
        } catch (IOException e) {
            throw new Blt4jException("cannot read BPE ranks file " + file + ": " + e.getMessage(), e);
        }
    }

    /** Parses tiktoken lines from {@code in}; {@code name} is for error messages. */
    public static TiktokenRanks parse(InputStream in, String name) throws IOException {
        Map<Integer, byte[]> byRank = new HashMap<>();
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
        Base64.Decoder dec = Base64.getDecoder();
        int lineNo = 0;
        for (String line; (line = r.readLine()) != null; ) {
            lineNo++;
            if (line.isBlank()) continue;
            String[] parts = line.trim().split(" ");
            try {
                if (parts.length != 2) throw new IllegalArgumentException("expected 'base64 rank'");
                int rank = Integer.parseInt(parts[1]);
                if (rank < 0) throw new IllegalArgumentException("negative rank");
                if (byRank.put(rank, dec.decode(parts[0])) != null)
                    throw new IllegalArgumentException("rank " + rank + " repeated");
            } catch (IllegalArgumentException e) {
                throw new Blt4jException(name + " line " + lineNo + " is not a tiktoken rank line: " + e.getMessage());
            }
        }
        byte[][] tokens = new byte[byRank.size()][];
        for (var e : byRank.entrySet()) {
            if (e.getKey() >= tokens.length)
                throw new Blt4jException(name + ": ranks are not dense 0.." + (tokens.length - 1) + " (found " + e.getKey() + ")");
            tokens[e.getKey()] = e.getValue();
        }
        return new TiktokenRanks(Arrays.asList(tokens));
    }
}
