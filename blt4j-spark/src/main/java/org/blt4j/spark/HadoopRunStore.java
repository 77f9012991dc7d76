package org.blt4j.spark;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.CreateFlag;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;
import org.blt4j.Blt4jException;
import org.blt4j.train.diloco.LocalRunStore;
import org.blt4j.train.diloco.RunStore;

/**
 * A DiLoCo run folder on any Hadoop file system (HDFS, S3, ...): a file is written under a temporary name and renamed
 * over the old one ({@code Rename.OVERWRITE}: atomic on HDFS and local disks; object stores emulate it by copy, which
 * readers of a retried task's state tolerate because both attempts write the same bytes). Serializable: executors open
 * the file system themselves.
 */
public final class HadoopRunStore implements RunStore {
    private final String dir;

    public HadoopRunStore(String dir) {
        this.dir = dir.endsWith("/") ? dir.substring(0, dir.length() - 1) : dir;
    }

    /** A local folder (no scheme or file:) as {@link LocalRunStore}, anything else through Hadoop. */
    public static RunStore of(String dirUri) {
        URI u;
        try {
            u = URI.create(dirUri);
        } catch (IllegalArgumentException e) {
            return new LocalRunStore(java.nio.file.Path.of(dirUri));   // "/runs/my run": a local path, not a URI
        }
        if (u.getScheme() == null) return new LocalRunStore(java.nio.file.Path.of(dirUri));
        if (u.getScheme().equals("file")) return new LocalRunStore(java.nio.file.Path.of(u));
        return new HadoopRunStore(dirUri);
    }

    private Path path(String name) {
        return new Path(dir + "/" + RunStore.checkName(name));
    }

    private FileContext fc() throws IOException {
        return FileContext.getFileContext(URI.create(dir), new Configuration());
    }

    @Override
    public byte[] read(String name) {
        try (InputStream in = fc().open(path(name))) {
            return in.readAllBytes();
        } catch (FileNotFoundException e) {
            return null;
        } catch (IOException e) {
            throw new Blt4jException("cannot read " + uri(name) + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void write(String name, byte[] data) {
        Path target = path(name);
        Path tmp = new Path(target.getParent(), "." + target.getName() + ".tmp-" + UUID.randomUUID());
        try {
            FileContext fc = fc();
            fc.mkdir(target.getParent(), org.apache.hadoop.fs.permission.FsPermission.getDirDefault(), true);
            try (OutputStream out = fc.create(tmp, java.util.EnumSet.of(CreateFlag.CREATE), Options.CreateOpts.createParent())) {
                out.write(data);
            }
            fc.rename(tmp, target, Options.Rename.OVERWRITE);
        } catch (IOException e) {
            try {
                fc().delete(tmp, false);
            } catch (IOException ignored) {
                // the temporary file is hidden; a later write replaces the target anyway
            }
            throw new Blt4jException("cannot write " + uri(name) + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void delete(String name) {
        try {
            FileContext fc = fc();
            Path target = path(name);
            try {
                fc.delete(target, false);
            } catch (FileNotFoundException e) {
                // absent is fine
            }
            // a killed executor's temporaries of it (as large as a worker's state): no live writer once deleted
            org.apache.hadoop.fs.FileStatus[] tmps = fc.util().globStatus(new Path(target.getParent(), "." + target.getName() + ".tmp-*"));
            if (tmps != null) for (org.apache.hadoop.fs.FileStatus t : tmps) fc.delete(t.getPath(), false);
        } catch (FileNotFoundException e) {
            // a folder gone: nothing to delete
        } catch (IOException e) {
            throw new Blt4jException("cannot delete " + uri(name) + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String uri(String name) {
        return dir + "/" + name;
    }
}
