package org.blt4j.data;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import org.blt4j.Blt4jException;

/**
 * Documents with their precomputed entropies, read from a patched dataset (the Parquet datasets that
 * {@code ./blt4j spark patch} writes; the blt4j-spark module provides the {@link Reader}). Entropies of a document are
 * [len + 2]: its BOS, bytes and EOS positions, the layout of {@link TokenStream#encode}.
 *
 * @param metadata the dataset's metadata (format, patching mode and threshold, entropy model, ...)
 */
public record PatchedData(List<byte[]> docs, List<float[]> entropies, JsonNode metadata) {

    public PatchedData {
        if (docs.size() != entropies.size()) throw new IllegalArgumentException(docs.size() + " documents, " + entropies.size() + " entropy rows");
        for (int i = 0; i < docs.size(); i++)
            if (entropies.get(i).length != docs.get(i).length + 2)
                throw new Blt4jException("patched dataset: document " + i + " has " + docs.get(i).length + " bytes but "
                        + entropies.get(i).length + " entropies (expected bytes + 2)");
    }

    /** Reads a kind of patched dataset (found with {@link ServiceLoader}). */
    public interface Reader {
        boolean accepts(Path path);

        PatchedData read(Path path);
    }

    /** A path that names a patched dataset rather than a text corpus: a *.parquet name, or a folder with _blt4j.json. */
    public static boolean isDataset(Path path) {
        String n = path.getFileName() == null ? "" : path.getFileName().toString();
        return n.endsWith(".parquet") || Files.isRegularFile(path.resolve("_blt4j.json"));
    }

    /** The dataset at path, through the first reader on the class path that accepts it. */
    public static PatchedData read(Path path) {
        if (!Files.exists(path)) throw new Blt4jException("dataset " + path + ": no such file or folder");
        for (Reader r : ServiceLoader.load(Reader.class))
            if (r.accepts(path)) return r.read(path);
        throw new Blt4jException("dataset " + path + " is a Parquet dataset: reading it needs the blt4j-spark module on the class path;"
                + " ./blt4j adds it when an argument names the dataset (e.g. --data " + path + ")");
    }

    /** Training and held-out documents with their entropies, each in the layout of the encoded stream. */
    public record Split(DataSplit docs, float[] trainH, float[] heldOutH, JsonNode metadata) {}

    /**
     * Holds out the last documents holding the last {@code heldOutFraction} of the bytes. Unlike {@link DataSplit#split},
     * no document is cut in two (its entropies belong to the whole document): the one the cut falls in is held out.
     */
    public Split split(double heldOutFraction) {
        if (!(heldOutFraction >= 0 && heldOutFraction < 1))
            throw new Blt4jException("held-out fraction must be in [0, 1), got " + heldOutFraction);
        long total = Corpus.totalBytes(docs);
        long cut = (long) Math.floor(total * (1 - heldOutFraction));
        int first = docs.size();               // first held-out document
        long offset = total;
        while (first > 0 && offset > cut) offset -= docs.get(--first).length;
        if (heldOutFraction > 0 && first == docs.size() && !docs.isEmpty()) first = docs.size() - 1;
        if (first == 0 && docs.size() > 1 && heldOutFraction > 0) first = 1;   // keep at least one training document
        List<byte[]> train = new ArrayList<>(docs.subList(0, first)), held = new ArrayList<>(docs.subList(first, docs.size()));
        return new Split(new DataSplit(train, held), concat(entropies.subList(0, first)), concat(entropies.subList(first, docs.size())), metadata);
    }

    /** The rows one after another (entropies of documents → entropies of their stream). */
    public static float[] concat(List<float[]> parts) {
        long n = 0;
        for (float[] p : parts) n += p.length;
        if (n > Integer.MAX_VALUE - 16) throw new Blt4jException("patched dataset too large: " + n + " tokens in one split");
        float[] all = new float[(int) n];
        int o = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, all, o, p.length);
            o += p.length;
        }
        return all;
    }
}
