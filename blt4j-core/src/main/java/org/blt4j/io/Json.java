package org.blt4j.io;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/** The package's Jackson mapper (strict: duplicate keys and trailing content are errors) and error wording. */
final class Json {
    static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private Json() {}

    /** Jackson's message without its source dump, plus line and column when known, cut to a readable length. */
    static String describe(JacksonException e) {
        String msg = e.getOriginalMessage();
        if (msg == null) msg = e.getClass().getSimpleName();
        // Jackson cites its (redacted) input as "[Source: ...; line: 1, column: 9]": keep only the position.
        msg = msg.replaceAll("\\[Source: [^\\]]*?line: (\\d+), column: (\\d+)\\]", "line $1, column $2")
                .replaceAll("\\[Source: [^\\]]*\\]", "")
                .replaceAll("\\s+", " ").strip();
        if (msg.length() > 200) msg = msg.substring(0, 200) + "...";
        JsonLocation loc = e.getLocation();
        if (loc != null && loc.getLineNr() > 0) msg += " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")";
        return msg;
    }
}
