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

    public static PatchedData read(SparkSession spark, String uri, String where) {
        Dataset<Row> ds;
        try {
            ds = spark.read().parquet(uri);
        } catch (Exception e) {
            throw new Blt4jException("dataset " + where + ": cannot read it as Parquet (" + Errors.oneLine(e) + ")", e);
        }
        JsonNode meta = PatchedSchema.check(ds.schema(), "dataset " + where);
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
        return new PatchedData(docs, h, meta);
    }
}
