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

    /** Absent is fine. */
    void delete(String name);

    /** Where the file is, for messages. */
    String uri(String name);
}
