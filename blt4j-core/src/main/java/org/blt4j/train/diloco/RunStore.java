package org.blt4j.train.diloco;

/**
 * The files of a run folder on some file system (local here; HDFS/S3 through Hadoop in blt4j-spark). Names are
 * '/'-separated, relative.
 */
public interface RunStore extends java.io.Serializable {
    /** The file's bytes, or null when absent. */
    byte[] read(String name);

    /** Atomic: a reader sees the old or the new content, never a part. */
    void write(String name, byte[] data);

    /** Absent is fine. Also deletes the temporaries that writers of {@code name} killed mid-write left. */
    void delete(String name);

    /** Where the file is, for messages. */
    String uri(String name);

    /** A store's file name: relative, '/'-separated, without '..' (refused with a clear error otherwise). */
    static String checkName(String name) {
        if (name.isEmpty() || name.startsWith("/") || name.contains("\\") || java.util.Arrays.asList(name.split("/")).contains(".."))
            throw new org.blt4j.Blt4jException("run store: bad file name '" + name + "' (relative, '/'-separated, no '..')");
        return name;
    }
}
