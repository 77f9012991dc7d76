package org.blt4j.spark;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.blt4j.Blt4jException;

/**
 * The files a patch job reads: paths, globs and folders (searched recursively; names starting with '.' or '_' are
 * skipped) on any Hadoop file system, sorted by URI, each read once. By name: {@code *.parquet} a Parquet file with a
 * string column "text" (a row per document), {@code *.jsonl(.gz)} JSON lines, anything else text cut at blank lines
 * ({@code .gz} gunzipped): documents are split as {@code ./blt4j train} splits them.
 */
public final class Inputs {
    private Inputs() {}

    public enum Kind { TEXT, JSONL, PARQUET }

    /** One input file: its URI, kind and size. */
    public record InputFile(String uri, Kind kind, long length) implements Serializable {}

    /** Every file the inputs name, checked readable from the driver; a clear error for an input that names none. */
    public static List<InputFile> expand(Configuration conf, List<String> inputs) {
        if (inputs.isEmpty()) throw new Blt4jException("give at least one input (a file, folder or glob)");
        TreeMap<String, InputFile> files = new TreeMap<>();
        for (String in : inputs) {
            int before = files.size();
            try {
                Path p = new Path(in);
                FileSystem fs = p.getFileSystem(conf);
                FileStatus[] matches = fs.globStatus(p);
                if (matches == null || matches.length == 0)
                    throw new Blt4jException("input " + in + ": " + (isGlob(in) ? "the pattern matches no file" : "no such file or folder"));
                for (FileStatus st : matches) {
                    if (st.isDirectory()) {
                        RemoteIterator<LocatedFileStatus> it = fs.listFiles(st.getPath(), true);
                        while (it.hasNext()) add(files, fs, it.next(), st.getPath());
                    } else {
                        add(files, fs, st, null);
                    }
                }
            } catch (IOException e) {
                throw new Blt4jException("input " + in + ": cannot read it (" + Errors.firstLine(String.valueOf(e.getMessage())) + ")", e);
            } catch (IllegalArgumentException e) {
                throw new Blt4jException("input " + in + ": not a path (" + e.getMessage() + ")", e);
            }
            if (files.size() == before) throw new Blt4jException("input " + in + ": the folder holds no input file");
        }
        return List.copyOf(files.values());
    }

    private static void add(TreeMap<String, InputFile> files, FileSystem fs, FileStatus st, Path root) throws IOException {
        if (hidden(st.getPath(), root)) return;
        String name = st.getPath().getName();
        Kind kind = name.endsWith(".parquet") ? Kind.PARQUET
                : name.endsWith(".jsonl") || name.endsWith(".jsonl.gz") ? Kind.JSONL : Kind.TEXT;
        try (InputStream s = fs.open(st.getPath())) {   // unreadable files fail here, on the driver, by name
            s.read();
        } catch (IOException e) {
            throw new Blt4jException("input " + st.getPath() + ": cannot be read (" + Errors.firstLine(String.valueOf(e.getMessage())) + ")", e);
        }
        String uri = st.getPath().toUri().toString();
        files.putIfAbsent(uri, new InputFile(uri, kind, st.getLen()));
    }

    /** A name under the searched folder that starts with '.' or '_' (Spark's _SUCCESS, checksums, temporary folders). */
    private static boolean hidden(Path p, Path root) {
        for (Path q = p; q != null && (root == null || !q.equals(root)); q = q.getParent()) {
            String n = q.getName();
            if (n.startsWith(".") || n.startsWith("_")) return true;
            if (root == null) break;
        }
        return false;
    }

    private static boolean isGlob(String s) {
        return s.indexOf('*') >= 0 || s.indexOf('?') >= 0 || s.indexOf('[') >= 0 || s.indexOf('{') >= 0;
    }

    /** Lists the inputs' kinds, for a log line. */
    public static String describe(List<InputFile> files) {
        long text = files.stream().filter(f -> f.kind() == Kind.TEXT).count();
        long jsonl = files.stream().filter(f -> f.kind() == Kind.JSONL).count();
        long parquet = files.stream().filter(f -> f.kind() == Kind.PARQUET).count();
        List<String> parts = new ArrayList<>();
        if (text > 0) parts.add(text + " text");
        if (jsonl > 0) parts.add(jsonl + " JSON-lines");
        if (parquet > 0) parts.add(parquet + " Parquet");
        long bytes = files.stream().mapToLong(InputFile::length).sum();
        return files.size() + " file" + (files.size() == 1 ? "" : "s") + " (" + String.join(", ", parts) + "), "
                + String.format("%,d", bytes) + " bytes";
    }
}
