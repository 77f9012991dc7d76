package org.blt4j.study;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** One line about the machine a study ran on: CPU, cores, heap, JVM, vector width. */
final class Machine {
    private Machine() {}

    static String describe() {
        String cpu = "unknown CPU";
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo")))
                if (line.startsWith("model name")) {
                    cpu = line.substring(line.indexOf(':') + 1).strip();
                    break;
                }
        } catch (Exception e) {
            // not Linux: keep "unknown CPU"
        }
        return String.format(Locale.ROOT, "%s, %d cores available to the JVM, %.1f GiB max heap, Java %s, %d-bit vectors", cpu,
                Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() / (double) (1L << 30),
                System.getProperty("java.version"), org.blt4j.tensor.VectorWidth.FLOAT.vectorBitSize());
    }
}
