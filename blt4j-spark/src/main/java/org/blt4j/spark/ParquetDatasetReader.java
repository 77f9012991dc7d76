package org.blt4j.spark;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.blt4j.Blt4jException;
import org.blt4j.data.PatchedData;

/**
 * Reads a patched dataset for {@code ./blt4j train --data DATASET}: in the session already open, else in an embedded
 * one, checks its schema and metadata, and returns its documents in id order.
 */
public final class ParquetDatasetReader implements PatchedData.Reader {
    @Override
    public boolean accepts(Path path) {
        return PatchedData.isDataset(path);
    }

    @Override
    public PatchedData read(Path path) {
        SparkSession active = SparkSession.getActiveSession().isDefined() ? SparkSession.getActiveSession().get() : null;
        SparkSession spark = active != null ? active : Sessions.open("blt4j read " + path.getFileName(), "local[*]", Map.of());
        try {
            return read(spark, path.toAbsolutePath().toUri().toString(), path.toString());
        } finally {
            if (active == null) spark.stop();
        }
    }

    /**
     * The dataset's {@code _blt4j.json} (written last, when the job committed): a folder without it is not a whole
     * dataset (a copy that lost it, or part files put together by hand) and is refused.
     */
    static JsonNode committed(SparkSession spark, String uri, String where) {
        org.apache.hadoop.fs.Path meta = new org.apache.hadoop.fs.Path(java.net.URI.create(uri.endsWith("/") ? uri : uri + "/"))
                .suffix(PatchedSchema.META_FILE);
        try {
            org.apache.hadoop.fs.FileSystem fs = meta.getFileSystem(spark.sparkContext().hadoopConfiguration());
            if (!fs.isFile(meta))
                throw new Blt4jException("dataset " + where + " has no " + PatchedSchema.META_FILE + " (written when ./blt4j spark"
                        + " patch commits): it is not a whole dataset; write it again with ./blt4j spark patch");
            try (var in = fs.open(meta)) {
                return org.blt4j.io.Json.MAPPER.readTree(in);
            }
        } catch (java.io.IOException e) {
            throw new Blt4jException("dataset " + where + ": cannot read its " + PatchedSchema.META_FILE + " (" + Errors.oneLine(e) + ")", e);
        }
    }

    public static PatchedData read(SparkSession spark, String uri, String where) {
        Dataset<Row> ds;
        try {
            ds = spark.read().parquet(uri);
        } catch (Exception e) {
            throw new Blt4jException("dataset " + where + ": cannot read it as Parquet (" + Errors.oneLine(e) + ")", e);
        }
        JsonNode meta = PatchedSchema.check(ds.schema(), "dataset " + where);
        JsonNode committed = committed(spark, uri, where);
        List<byte[]> docs = new ArrayList<>();
        List<float[]> h = new ArrayList<>();
        long expect = 0;
        Iterator<Row> it = ds.select("id", "bytes", "entropies").orderBy("id").toLocalIterator();
        while (it.hasNext()) {
            Row r = it.next();
            if (r.getLong(0) != expect)
                throw new Blt4jException("dataset " + where + ": document ids jump from " + (expect - 1) + " to " + r.getLong(0)
                        + " (a part file is missing or foreign); write it again with ./blt4j spark patch");
            expect++;
            docs.add((byte[]) r.get(1));
            h.add(PatchedSchema.toFloats((byte[]) r.get(2)));
        }
        if (docs.isEmpty()) throw new Blt4jException("dataset " + where + " holds no document");
        long bytes = 0;
        for (byte[] d : docs) bytes += d.length;
        // the last part files missing leave no gap in the ids: the counts the job wrote tell
        if (committed.has("documents") && committed.get("documents").asLong() != docs.size()
                || committed.has("bytes") && committed.get("bytes").asLong() != bytes)
            throw new Blt4jException("dataset " + where + " holds " + docs.size() + " documents of " + bytes + " bytes, but its "
                    + PatchedSchema.META_FILE + " says " + committed.path("documents").asLong() + " of " + committed.path("bytes").asLong()
                    + " (part files missing or added); write it again with ./blt4j spark patch");
        return new PatchedData(docs, h, meta);
    }
}
