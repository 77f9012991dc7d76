package org.blt4j.spark;

import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The hidden sibling folders a job's output goes through: ".NAME.KIND-HOST-PID-UUID", KIND "tmp" (being written) or
 * "old" (the previous output, moved aside by --overwrite), HOST and PID the driver's. A driver killed with kill -9
 * leaves its folder behind; {@link #removeStale} (the next job writing NAME) removes the folders of drivers that are
 * provably gone: those named with this host whose process is no longer alive. A folder of another host, of a live
 * process or in another form is left alone: another job may be writing it. As blt4j-core's AtomicFiles, it assumes
 * that two machines (or containers) writing one folder do not share a host name.
 */
final class Staging {
    private Staging() {}

    static final long PID = ProcessHandle.current().pid();
    /** This machine's name as folder names carry it (null when it cannot be found: then nothing is removed). */
    static final String HOST = host();
    /** groups NAME, KIND, HOST, PID */
    private static final Pattern SIBLING = Pattern.compile("\\.(.+)\\.(tmp|old)-([A-Za-z0-9._-]+)-(\\d{1,18})-"
            + "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    /** A fresh hidden sibling of {@code out} for this driver (without a host name, one no later job removes). */
    static Path sibling(Path out, String kind) {
        return new Path(folder(out), "." + out.getName() + "." + kind + "-" + (HOST != null ? HOST : "unknown~host") + "-" + PID + "-" + UUID.randomUUID());
    }

    /** The folder that holds {@code out} (its siblings). */
    static Path folder(Path out) {
        return out.getParent() == null ? new Path(".") : out.getParent();
    }

    /**
     * Removes the siblings of {@code out} that dead drivers of this host left, except an "old" one while {@code out} is
     * missing (the driver died between its two renames): that one is renamed back to {@code out}. Returns what it did,
     * a line each, for the log. Best effort: what cannot be listed, deleted or renamed is left as it is.
     */
    static List<String> removeStale(FileSystem fs, Path out) {
        List<String> done = new ArrayList<>();
        if (HOST == null) return done;
        String name = out.getName(), prefix = "." + name + ".";
        try {
            for (FileStatus st : fs.listStatus(folder(out), p -> p.getName().startsWith(prefix))) {
                Matcher m = SIBLING.matcher(st.getPath().getName());
                if (!m.matches() || !m.group(1).equals(name) || !m.group(3).equals(HOST)) continue;
                long pid = Long.parseLong(m.group(4));
                if (pid == PID || ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) continue;
                String why = " (its driver, pid " + pid + " on " + HOST + ", is gone)";
                if (m.group(2).equals("old") && !fs.exists(out)) {
                    if (fs.rename(st.getPath(), out)) done.add("restored " + out + " from " + st.getPath().getName() + why);
                } else if (fs.delete(st.getPath(), true)) {
                    done.add("removed " + st.getPath().getName() + why);
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // best effort: the folders are hidden, and the next job tries again
        }
        return done;
    }

    /** The host name, reduced to letters, digits, '.', '-' and '_' (and at most 64 of them). */
    private static String host() {
        String h;
        try {
            h = InetAddress.getLocalHost().getHostName();
        } catch (IOException | RuntimeException e) {
            return null;
        }
        String s = h.replaceAll("[^A-Za-z0-9.-]", "_");
        if (s.isEmpty()) return null;
        return s.length() <= 64 ? s : s.substring(0, 55) + "_" + String.format("%08x", h.hashCode());
    }
}
