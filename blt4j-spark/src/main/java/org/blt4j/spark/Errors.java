package org.blt4j.spark;

import org.blt4j.Blt4jException;

/** The one line a driver prints for a failed job: the executor's blt4j error when there is one, else the first line Spark gives. */
public final class Errors {
    private Errors() {}

    private static final String MARK = Blt4jException.class.getName() + ": ";

    public static String oneLine(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause())
            if (t instanceof Blt4jException) return t.getMessage();
        // a task's exception may come back only as text inside Spark's "Job aborted ..." message
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage();
            int at = m == null ? -1 : m.indexOf(MARK);
            if (at >= 0) return firstLine(m.substring(at + MARK.length()));
        }
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) root = root.getCause();
        String m = root.getMessage() != null ? root.getMessage() : root.getClass().getSimpleName();
        return firstLine(m);
    }

    static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).strip();
    }
}
