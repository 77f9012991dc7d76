package org.blt4j.token;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import com.knuddels.jtokkit.api.GptBytePairEncodingParams;
import com.knuddels.jtokkit.api.IntArrayList;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Pattern;
import org.blt4j.Blt4jException;

/**
 * A byte-level BPE tokenizer whose encoding and decoding run through jtokkit: either a trained vocabulary (a tiktoken
 * ranks file, registered as a jtokkit custom encoding with the GPT-4 pre-split regex {@link #PATTERN}) or jtokkit's
 * bundled cl100k_base / o200k_base.
 *
 * <p>Arbitrary bytes: jtokkit encodes Java Strings, which hold only valid Unicode. So {@link #encode} cuts the input
 * into maximal runs of strictly valid UTF-8 and single bytes that start no valid sequence. A valid run is decoded to a
 * String (lossless: it re-encodes to the very same bytes) and encoded by jtokkit; each invalid byte becomes its
 * single-byte token, which every vocabulary here holds (TiktokenRanks demands all 256). Decoding concatenates token
 * bytes (jtokkit's decodeBytes), so decode(encode(b)) == b for every b. The trainer cuts its corpus the same way, so the
 * merges it learns are the ones this encoder meets. An invalid byte also ends the pre-split chunk before it, as a
 * regex match on the decoded text would.
 */
public final class BpeTokenizer implements Tokenizer {
    /** GPT-4's (cl100k_base's) pre-split regex: contractions, words, 1-3 digit numbers, punctuation, whitespace. */
    public static final Pattern PATTERN = Pattern.compile(
            "'(?i:[sdmt]|ll|ve|re)|[^\\r\\n\\p{L}\\p{N}]?+\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]++[\\r\\n]*"
                    + "|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);

    private final String name;
    private final Encoding encoding;
    private final int vocabSize;
    private final int[] byteRank; // [256] id of each single byte

    private BpeTokenizer(String name, Encoding encoding, TiktokenRanks ranks) {
        this.name = name;
        this.encoding = encoding;
        this.vocabSize = ranks.size();
        this.byteRank = ranks.byteRanks();
    }

    /** A trained vocabulary, encoded by jtokkit as a custom GPT byte-pair encoding with {@link #PATTERN}. */
    public static BpeTokenizer of(TiktokenRanks ranks) {
        String name = "blt4j-bpe-" + ranks.size();
        var params = new GptBytePairEncodingParams(name, PATTERN, ranks.encoderMap(), Map.of());
        Encoding enc = Encodings.newLazyEncodingRegistry().registerGptBytePairEncoding(params).getEncoding(name)
                .orElseThrow();
        return new BpeTokenizer(name, enc, ranks);
    }

    /** Loads a tiktoken ranks file written by {@link BpeTrainer} (or any tiktoken file) with {@link #PATTERN}. */
    public static BpeTokenizer load(Path ranksFile) {
        return of(TiktokenRanks.read(ranksFile));
    }

    /** jtokkit's bundled cl100k_base (GPT-4). */
    public static BpeTokenizer cl100kBase() {
        return bundled(EncodingType.CL100K_BASE, "cl100k_base");
    }

    /** jtokkit's bundled o200k_base (GPT-4o). */
    public static BpeTokenizer o200kBase() {
        return bundled(EncodingType.O200K_BASE, "o200k_base");
    }

    /** By name: "cl100k_base", "o200k_base", or a path to a tiktoken ranks file. */
    public static BpeTokenizer named(String nameOrPath) {
        return switch (nameOrPath) {
            case "cl100k_base" -> cl100kBase();
            case "o200k_base" -> o200kBase();
            default -> load(Path.of(nameOrPath));
        };
    }

    private static BpeTokenizer bundled(EncodingType type, String name) {
        // jtokkit's own encoder; its ranks file (in jtokkit's jar) for the vocabulary size and the single-byte ids
        String res = "/com/knuddels/jtokkit/" + name + ".tiktoken";
        try (InputStream in = Encoding.class.getResourceAsStream(res)) {
            if (in == null) throw new Blt4jException("jtokkit's jar lacks " + res);
            TiktokenRanks ranks = TiktokenRanks.parse(in, res);
            return new BpeTokenizer(name, Encodings.newLazyEncodingRegistry().getEncoding(type), ranks);
        } catch (IOException e) {
            throw new Blt4jException("cannot read jtokkit's " + res + ": " + e.getMessage(), e);
        }
    }

    public String name() {
        return name;
    }

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    @Override
    public int[] encode(byte[] bytes) {
        IntArrayList out = new IntArrayList(bytes.length / 3 + 16);
        int i = 0, n = bytes.length;
        while (i < n) {
            int end = Utf8.validRunEnd(bytes, i, n);
            if (end > i) {
                IntArrayList ids = encoding.encodeOrdinary(new String(bytes, i, end - i, StandardCharsets.UTF_8));
                for (int k = 0; k < ids.size(); k++) out.add(ids.get(k));
                i = end;
            } else {
                out.add(byteRank[bytes[i++] & 0xff]);
            }
        }
        return out.toArray();
    }

    @Override
    public byte[] decode(int[] ids) {
        IntArrayList list = new IntArrayList(ids.length);
        for (int k = 0; k < ids.length; k++) {
            if (ids[k] < 0 || ids[k] >= vocabSize)
                throw new Blt4jException("token id " + ids[k] + " at " + k + " is outside [0, " + vocabSize + ")");
            list.add(ids[k]);
        }
        return encoding.decodeBytes(list);
    }

    @Override
    public String toString() {
        return name + " (" + vocabSize + " tokens)";
    }
}
