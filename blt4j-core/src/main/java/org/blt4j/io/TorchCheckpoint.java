package org.blt4j.io;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import org.blt4j.Blt4jException;

/**
 * A {@code torch.save} file (zip format, torch >= 1.6), as the reference trainer's consolidated.pth: {@code P/data.pkl}
 * (the pickled object) and {@code P/data/KEY} (raw little-endian storages). The pickle is read through
 * {@link TorchPickle}'s allow-list, so only tensors and plain containers come out; a storage is read only when one of
 * its tensors is, so unused entries (an optimizer state) cost nothing. Storage entries must be stored (uncompressed),
 * as torch.save writes them, and entry names unique. Close it when done.
 */
public final class TorchCheckpoint implements AutoCloseable {
    /** A contiguous tensor in the file: dtype, shape, and where its elements are. */
    public static final class Tensor {
        private final TorchPickle.Tensor t;

        private Tensor(TorchPickle.Tensor t) {
            this.t = t;
        }

        public DType dtype() { return t.storage().dtype(); }

        public long[] shape() { return t.shape().clone(); }

        public long numel() { return t.numel(); }
    }

    /** data.pkl holds names, shapes and containers (the tensors' bytes are separate entries). */
    static final int MAX_PICKLE = 256 << 20;

    private final Path file;
    private final ZipFile zip;
    private final String prefix;                                  // "P/": the archive's folder
    private final Object root;

    private TorchCheckpoint(Path file, ZipFile zip, String prefix, Object root) {
        this.file = file;
        this.zip = zip;
        this.prefix = prefix;
        this.root = root;
    }

    /** Opens and unpickles {@code file}; a refused or malformed pickle, or a non-zip file, is a Blt4jException. */
    public static TorchCheckpoint open(Path file) {
        if (!Files.isRegularFile(file)) throw new Blt4jException("no " + file.getFileName() + " at " + file);
        ZipFile zip;
        try {
            zip = new ZipFile(file.toFile());
        } catch (ZipException e) {
            throw new Blt4jException(file + " is not a torch.save zip archive (" + e.getMessage() + "): the file is"
                    + " truncated or corrupt, or was written by torch < 1.6 (re-save it with a newer torch)", e);
        } catch (IOException e) {
            throw new Blt4jException("cannot read " + file + ": " + e, e);
        }
        try {
            ZipEntry pkl = null;
            Set<String> names = new HashSet<>();
            for (ZipEntry e : Collections.list(zip.entries())) {
                // getEntry() returns one of two same-named entries, torch's reader another: two readers, two models
                if (!names.add(e.getName()))
                    throw new Blt4jException(file + " holds the entry " + e.getName() + " twice: torch.save never writes"
                            + " that, and readers disagree on which copy counts; the file was altered (re-save it with torch.save)");
                if (e.getName().endsWith("/data.pkl") && e.getName().indexOf('/') == e.getName().length() - "/data.pkl".length()) {
                    if (pkl != null) throw new Blt4jException(file + " holds two data.pkl entries (" + pkl.getName() + ", " + e.getName() + ")");
                    pkl = e;
                }
            }
            if (pkl == null) throw new Blt4jException(file + " has no */data.pkl entry: it is a zip, but not one torch.save wrote");
            String prefix = pkl.getName().substring(0, pkl.getName().length() - "data.pkl".length());
            ZipEntry order = zip.getEntry(prefix + "byteorder");
            if (order != null) {
                String bo = new String(readAll(zip, order), StandardCharsets.US_ASCII).strip();
                if (!bo.equals("little")) throw new Blt4jException(file + ": byteorder is '" + bo + "'; blt4j reads little-endian storages only");
            }
            String where = file + " (" + pkl.getName() + ")";
            Object root;
            try (InputStream in = zip.getInputStream(pkl)) {
                byte[] bytes = in.readNBytes(MAX_PICKLE + 1);      // names and shapes only: small even for blt-7b
                if (bytes.length > MAX_PICKLE)
                    throw new Blt4jException(where + " is over " + MAX_PICKLE + " bytes: not a model's state dict");
                root = new TorchPickle(where).load(new java.io.ByteArrayInputStream(bytes));
            } catch (Blt4jException e) {
                throw e;
            } catch (StackOverflowError e) {                       // a safety net: keys and persistent ids are checked flat
                throw new Blt4jException(where + ": the pickle is nested too deeply to read (a state dict is a few levels"
                        + " deep): the file is corrupt or malicious", e);
            } catch (IOException | RuntimeException e) {          // PickleException, a REDUCE on a non-callable, ...
                throw new Blt4jException(where + " is not a valid torch checkpoint pickle: " + e.getMessage(), e);
            }
            return new TorchCheckpoint(file, zip, prefix, root);
        } catch (RuntimeException e) {
            closeQuietly(zip);
            throw e;
        } catch (IOException e) {
            closeQuietly(zip);
            throw new Blt4jException("cannot read " + file + ": " + e, e);
        }
    }

    public Path file() {
        return file;
    }

    /**
     * {@code root[key]} as a state dict (name → tensor, in file order); errors name the file and the key.
     * Values that are not tensors are refused.
     */
    public Map<String, Tensor> stateDict(String key) {
        if (!(root instanceof Map<?, ?> m))
            throw new Blt4jException(file + ": expected a dict at the top of the pickle, found " + kind(root));
        Object sd = m.get(key);
        if (sd == null)
            throw new Blt4jException(file + " has no \"" + key + "\" entry (it holds " + TorchPickle.describe(m.keySet())
                    + "); the reference's consolidated.pth stores its state dict under \"" + key + "\"");
        if (!(sd instanceof Map<?, ?> sm)) throw new Blt4jException(file + ": \"" + key + "\" is a " + kind(sd) + ", not a state dict");
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (var e : sm.entrySet()) {
            if (!(e.getKey() instanceof String name) || !(e.getValue() instanceof TorchPickle.Tensor t))
                throw new Blt4jException(file + ": \"" + key + "\" entry " + TorchPickle.describe(e.getKey()) + " is a "
                        + kind(e.getValue()) + ", not a tensor");
            out.put(name, new Tensor(t));
        }
        return out;
    }

    /** dst[off .. off+count) = elements [start, start+count) of {@code t}, as fp32. */
    public void readFloats(Tensor t, long start, float[] dst, int off, int count) {
        if (start < 0 || count < 0 || start + count > t.numel())
            throw new IllegalArgumentException("elements [" + start + ", " + (start + count) + ") of a tensor of " + t.numel());
        TorchPickle.Storage s = t.t.storage();
        ZipEntry e = storageEntry(s);
        String name = e.getName();
        int size = s.dtype().byteSize();
        try (InputStream in = zip.getInputStream(e)) {
            in.skipNBytes((t.t.offset() + start) * size);          // <= 2^53 elements of <= 4 bytes: no overflow
                                                                   // (a stored entry skips without reading)
            byte[] buf = new byte[Math.min(count, 1 << 18) * size];
            for (int done = 0; done < count; ) {
                int n = Math.min(count - done, buf.length / size);
                if (in.readNBytes(buf, 0, n * size) != n * size) throw new java.io.EOFException("entry ends early");
                s.dtype().decode(MemorySegment.ofArray(buf), 0, dst, off + done, n);
                done += n;
            }
        } catch (IOException ex) {
            throw new Blt4jException("cannot read " + name + " of " + file + " (truncated or corrupt?): " + ex, ex);
        }
    }

    /**
     * The zip entry of {@code s}, checked: present, stored, and long enough. A compressed entry is refused: each chunk
     * readFloats is asked for would re-inflate everything before it (quadratic: 77 s for a 195 MB file, 1.8 s stored).
     */
    private ZipEntry storageEntry(TorchPickle.Storage s) {
        String name = prefix + "data/" + s.key();
        ZipEntry e = zip.getEntry(name);
        if (e == null) throw new Blt4jException(file + " has no entry " + name + " for a storage its pickle names");
        if (e.getMethod() != ZipEntry.STORED)
            throw new Blt4jException(file + ": entry " + name + " is compressed; torch.save writes its storages uncompressed"
                    + " (stored) and blt4j reads them only so: re-save the checkpoint with torch.save (or re-zip it with"
                    + " `zip -0`)");
        long need;
        try {
            need = Math.multiplyExact(s.numel(), s.dtype().byteSize());  // numel <= 2^53 (TorchPickle): a safety net
        } catch (ArithmeticException ex) {
            throw new Blt4jException(file + ": storage " + s.key() + " of " + s.numel() + " elements is too large", ex);
        }
        if (e.getSize() >= 0 && e.getSize() < need)
            throw new Blt4jException(file + ": entry " + name + " holds " + e.getSize() + " bytes, its storage needs " + need);
        return e;
    }

    /** The whole tensor as fp32 (a Java array: under 2^31 elements). */
    public float[] readFloats(Tensor t) {
        if (t.numel() > Integer.MAX_VALUE - 8)                     // the largest array the JVM allocates
            throw new Blt4jException(file + ": a tensor of " + t.numel() + " elements (storage " + t.t.storage().key()
                    + ") is too large to read into one array; read it in parts with readFloats(t, start, dst, off, count)");
        storageEntry(t.t.storage());                               // a missing or short entry: an error before allocating
        float[] out = new float[(int) t.numel()];
        readFloats(t, 0, out, 0, out.length);
        return out;
    }

    @Override
    public void close() {
        closeQuietly(zip);
    }

    private static byte[] readAll(ZipFile zip, ZipEntry e) throws IOException {
        try (InputStream in = zip.getInputStream(e)) {
            return in.readNBytes(64);
        }
    }

    private static void closeQuietly(ZipFile zip) {
        try {
            zip.close();
        } catch (IOException ignored) {
            // nothing was written
        }
    }

    private static String kind(Object o) {
        if (o == null) return "None";
        if (o instanceof TorchPickle.Tensor t) return "tensor " + Arrays.toString(t.shape());
        if (o instanceof Map<?, ?>) return "dict";
        if (o instanceof List<?> || o instanceof Object[]) return "list/tuple";
        return o.getClass().getSimpleName();
    }
}
