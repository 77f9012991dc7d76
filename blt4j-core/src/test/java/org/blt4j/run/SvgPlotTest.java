package org.blt4j.run;

import org.blt4j.train.Training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.blt4j.Blt4jException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

class SvgPlotTest {
    @TempDir
    Path tmp;

    private static Document parse(String svg) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        return f.newDocumentBuilder().parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
    }

    private static SvgPlot sample() {
        int n = 200;
        double[] x = new double[n], train = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = i * 10;
            train[i] = 2.4 + 5.6 * Math.exp(-i / 30.0);
        }
        train[50] = Double.NaN; // a gap, not a crash
        return new SvgPlot("Training & held-out <bpb>").xLabel("step").yLabel("bits per byte")
                .series("train", x, train)
                .series("held-out", new double[] {0, 500, 1000, 1500, 1990}, new double[] {8.0, 3.5, 2.9, 2.75, 2.7})
                .reference(2.82, "gzip -9 2.82 bpb");
    }

    @Test
    void writesWellFormedSvgWithEverySeries() throws Exception {
        Document doc = parse(sample().toSvg());
        Element root = doc.getDocumentElement();
        assertEquals("svg", root.getLocalName());
        assertEquals("http://www.w3.org/2000/svg", root.getNamespaceURI());

        List<String> names = new ArrayList<>();
        NodeList groups = doc.getElementsByTagNameNS("*", "g");
        int markers = 0;
        for (int i = 0; i < groups.getLength(); i++) {
            Element g = (Element) groups.item(i);
            if (!g.getAttribute("class").equals("series")) continue;
            names.add(g.getElementsByTagNameNS("*", "title").item(0).getTextContent());
            String d = ((Element) g.getElementsByTagNameNS("*", "path").item(0)).getAttribute("d");
            assertTrue(d.startsWith(" M"), d.substring(0, 10));
            markers += g.getElementsByTagNameNS("*", "circle").getLength();
        }
        assertEquals(List.of("train", "held-out"), names);
        assertEquals(5, markers); // sparse series only
        String text = root.getTextContent();
        assertTrue(text.contains("Training & held-out <bpb>"), "title unescaped back");
        assertTrue(text.contains("gzip -9 2.82 bpb"));
        assertTrue(text.contains("bits per byte") && text.contains("step"));
    }

    @Test
    void theGapSplitsTheLine() throws Exception {
        Document doc = parse(sample().toSvg());
        String d = ((Element) doc.getElementsByTagNameNS("*", "path").item(0)).getAttribute("d");
        assertEquals(2, d.split("M").length - 1);
    }

    @Test
    void writesAtomicallyWithoutLeftovers() throws Exception {
        Path file = tmp.resolve("bpb.svg");
        sample().write(file);
        sample().write(file); // replaces
        parse(Files.readString(file));
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(List.of(file), s.toList());
        }
    }

    @Test
    void emptyAndFlatPlotsStillRender() throws Exception {
        parse(new SvgPlot("empty").toSvg());
        parse(new SvgPlot("flat").series("c", new double[] {1, 2, 3}, new double[] {5, 5, 5}).toSvg());
        assertThrows(Blt4jException.class, () -> new SvgPlot("bad").series("s", new double[] {1}, new double[] {}));
        assertThrows(Blt4jException.class, () -> new SvgPlot("bad").reference(Double.NaN, "x"));
    }

    @Test
    void axesHaveNiceTicks() {
        SvgPlot.Axis a = SvgPlot.Axis.of(0, 1990);
        assertEquals(List.of(0.0, 500.0, 1000.0, 1500.0, 2000.0), a.ticks());
        assertEquals("1500", a.label(1500));
        SvgPlot.Axis b = SvgPlot.Axis.of(2.4, 8.0);
        assertEquals(2.0, b.lo());
        assertEquals(8.0, b.hi());
        assertEquals("3", b.label(3.0));
        SvgPlot.Axis c = SvgPlot.Axis.of(2.61, 2.79);
        assertEquals("2.65", c.label(2.65));
        assertEquals(0.05, c.step(), 1e-12);
        SvgPlot.Axis d = SvgPlot.Axis.of(0, 250_000);
        assertEquals("150k", d.label(150_000));
        SvgPlot.Axis e = SvgPlot.Axis.of(-1, 1);
        assertEquals("-0.5", e.label(-0.5));
        assertEquals("0", e.label(0.0));
    }
}
