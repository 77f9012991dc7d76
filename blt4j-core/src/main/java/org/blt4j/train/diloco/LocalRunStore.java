package org.blt4j.train.diloco;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.blt4j.Blt4jException;
import org.blt4j.run.RunFiles;

/** A {@link RunStore} in a local folder: writes go through a hidden temporary sibling, fsync and rename. */
public final class LocalRunStore implements RunStore {
    private final String dir;   // a String: Path is not Serializable

    public LocalRunStore(Path dir) {
        this.dir = dir.toAbsolutePath().normalize().toString();
    }

    private Path file(String name) {
        return Path.of(dir).resolve(RunStore.checkName(name));
    }

    @Override
    public byte[] read(String name) {
        try {
            return Files.readAllBytes(file(name));
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new Blt4jException("cannot read " + uri(name) + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void write(String name, byte[] data) {
        Path f = file(name);
        try {
            Files.createDirectories(f.getParent());
        } catch (IOException e) {
            throw new Blt4jException("cannot create folder " + f.getParent() + ": " + e.getMessage(), e);
        }
        RunFiles.writeAtomically(f, data);
    }

    @Override
    public void delete(String name) {
        try {
            RunFiles.deleteWithTemporaries(file(name));   // and a killed writer's temporaries of it
        } catch (IOException e) {
            throw new Blt4jException("cannot delete " + uri(name) + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String uri(String name) {
        return file(name).toUri().toString();
    }
}
