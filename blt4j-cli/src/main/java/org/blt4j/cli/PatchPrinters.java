package org.blt4j.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.blt4j.Blt4jException;
import org.blt4j.patch.TextPatcher;
import org.blt4j.text.ByteTokenizer;
import org.blt4j.text.Utf8StreamDecoder;

/** What `blt4j patch` prints, written as the patches arrive, so that an input of any size needs bounded memory. */
final class PatchPrinters {
    private PatchPrinters() {}

    /**
     * {@code {"patch_lengths":[…],"entropies":[…]}} as Jackson writes those arrays: the lengths go out as they close; the
     * entropies, which come after them, wait in a temporary file of raw floats (4 bytes a position), deleted at the end.
     */
    static final class Json implements TextPatcher.Listener, AutoCloseable {
        private final JsonGenerator gen;
        private final Path spill;
        private final DataOutputStream entropies;

        Json(PrintStream out, boolean withEntropies) {
            try {
                gen = org.blt4j.io.Json.MAPPER.getFactory().createGenerator(out).disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
                gen.writeStartObject();
                gen.writeFieldName("patch_lengths");
                gen.writeStartArray();
                spill = withEntropies ? Files.createTempFile("blt4j-entropies", ".f32") : null;
                entropies = spill == null ? null : new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(spill), 1 << 16));
            } catch (IOException e) {
                throw new Blt4jException("cannot write the patches: " + e.getMessage(), e);
            }
        }

        @Override
        public void position(long q, int id, float entropy, boolean startsPatch) {
            if (entropies == null) return;
            try {
                entropies.writeFloat(entropy);
            } catch (IOException e) {
                throw new Blt4jException("cannot keep the entropies in " + spill + ": " + e.getMessage(), e);
            }
        }

        @Override
        public void patch(long length) {
            try {
                gen.writeNumber(length);
            } catch (IOException e) {
                throw new Blt4jException("cannot write the patches: " + e.getMessage(), e);
            }
        }

        /** Ends the lengths, copies the entropies after them, closes the object. */
        void finish() {
            try {
                gen.writeEndArray();
                if (entropies != null) {
                    entropies.close();
                    gen.writeFieldName("entropies");
                    gen.writeStartArray();
                    try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(spill), 1 << 16))) {
                        while (true) gen.writeNumber(in.readFloat());
                    } catch (EOFException end) {
                        // all read
                    }
                    gen.writeEndArray();
                }
                gen.writeEndObject();
                gen.flush();
            } catch (IOException e) {
                throw new Blt4jException("cannot write the patches: " + e.getMessage(), e);
            }
        }

        @Override
        public void close() {
            try {
                if (entropies != null) entropies.close();
                if (spill != null) Files.deleteIfExists(spill);
            } catch (IOException e) {
                // a temporary file left behind is not worth failing for
            }
        }
    }

    /**
     * For people: the text with | at patch boundaries (written as it goes), then the counts and a table of the patches
     * with the entropy that opened each; the table is kept for inputs up to {@link #TABLE_BYTES} only.
     */
    static final class People implements TextPatcher.Listener {
        static final int TABLE_BYTES = 1 << 16;
        private final PrintStream out;
        private final boolean entropies;
        private final Utf8StreamDecoder decoder = new Utf8StreamDecoder();
        private final ByteArrayOutputStream marked = new ByteArrayOutputStream();
        private final StringBuilder table = new StringBuilder();
        private final List<Integer> patchIds = new ArrayList<>();
        private boolean pending, tableDropped;
        private long positions, patches, patchStart;
        private float prevEntropy = Float.NaN, opening = Float.NaN;

        People(PrintStream out, boolean entropies) {
            this.out = out;
            this.entropies = entropies;
        }

        @Override
        public void position(long q, int id, float entropy, boolean startsPatch) {
            boolean continuation = ByteTokenizer.isByte(id) && ((id - ByteTokenizer.OFFSET) & 0xC0) == 0x80;
            boolean boundary = startsPatch && q > 0;
            if ((boundary || pending) && !continuation) {  // a boundary inside a character is shown after it
                marked.write('|');
                pending = false;
            } else if (boundary) pending = true;
            if (ByteTokenizer.isByte(id)) marked.write(id - ByteTokenizer.OFFSET);
            else marked.writeBytes(PatchCommand.show(new int[] {id}).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            if (marked.size() >= 1 << 16) drain();
            if (startsPatch) {
                opening = prevEntropy;
                patchStart = q;
            }
            prevEntropy = entropy;
            positions++;
            if (!tableDropped && positions - 1 > TABLE_BYTES) { // too long for a table: keep nothing per patch
                tableDropped = true;
                table.setLength(0);
                patchIds.clear();
            }
            if (!tableDropped) patchIds.add(id);
        }

        @Override
        public void patch(long length) {
            if (!tableDropped) {
                table.append(String.format("  %4d  len %3d", patches, length));
                if (entropies && patchStart > 0) table.append(String.format("  H(prev)=%.3f", opening));
                else if (entropies) table.append("              ");
                String s = PatchCommand.show(patchIds.stream().mapToInt(Integer::intValue).toArray());
                table.append("  ").append(s.replace("\n", "\\n")).append('\n');
            }
            patchIds.clear();
            patches++;
        }

        private void drain() {
            out.print(decoder.push(marked.toByteArray()));
            marked.reset();
        }

        void finish() {
            drain();
            out.println(decoder.flush());
            out.println();
            out.printf("%d bytes, %d patches, %.2f bytes per patch%n", positions - 1, patches,
                    (positions - 1) / (double) Math.max(1, patches - 1));
            if (tableDropped) out.printf("(the table of patches is shown for texts up to %d bytes; --json gives every patch)%n", TABLE_BYTES);
            else out.print(table);
            out.flush();
        }
    }
}
