package org.blt4j.train.diloco;

import java.nio.file.Files;
import java.nio.file.Path;
import org.blt4j.Blt4jException;
import org.blt4j.run.RunFiles;

/**
 * The driver's state after a round, next to the checkpoint of that round: {@code RUN/outer/round-<R>.bin} with the
 * rounds done, the outer steps taken and the Nesterov momentum buffer [P].
 */
record OuterState(long roundsDone, long outerSteps, float[] momentum) {
    static final String MAGIC = "BLT4JDLO";

    /** The file of the state after round {@code round} (0-based), relative to the run folder. */
    static String name(long round) {
        return "outer/round-" + round + ".bin";
    }

    void write(Path runDir) {
        Path f = runDir.resolve(name(roundsDone - 1));
        try {
            Files.createDirectories(f.getParent());
        } catch (java.io.IOException e) {
            throw new Blt4jException("cannot create " + f.getParent() + ": " + e.getMessage(), e);
        }
        RunFiles.writeAtomically(f, StateFile.encode(MAGIC, new long[] {roundsDone, outerSteps}, momentum));
    }

    static OuterState read(Path runDir, long roundsDone, int params) {
        Path f = runDir.resolve(name(roundsDone - 1));
        byte[] data;
        try {
            data = Files.readAllBytes(f);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new Blt4jException("DiLoCo outer state " + f + " is missing: the checkpoint cannot be resumed");
        } catch (java.io.IOException e) {
            throw new Blt4jException("cannot read " + f + ": " + e.getMessage(), e);
        }
        StateFile.Content c = StateFile.decode(data, MAGIC, f.toString());
        if (c.header().length != 2 || c.arrays().length != 1 || c.header()[0] != roundsDone)
            throw new Blt4jException("DiLoCo outer state " + f + " is corrupt: it is not the state after round " + (roundsDone - 1));
        if (c.arrays()[0].length != params)
            throw new Blt4jException("DiLoCo outer state " + f + " holds " + c.arrays()[0].length + " parameters, the model has " + params);
        return new OuterState(c.header()[0], c.header()[1], c.arrays()[0]);
    }

    static void delete(Path runDir, long round) {
        try {
            RunFiles.deleteWithTemporaries(runDir.resolve(name(round)));
        } catch (java.io.IOException ignored) {
            // a leftover file, harmless
        }
    }
}
