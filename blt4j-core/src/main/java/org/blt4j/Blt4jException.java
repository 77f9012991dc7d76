package org.blt4j;

/**
 * The library's one error type: bad input (a malformed file, a wrong config, missing weights, out-of-range
 * arguments). The message names the problem and, where it helps, what to do about it.
 */
public class Blt4jException extends RuntimeException {
    public Blt4jException(String message) {
        super(message);
    }

    public Blt4jException(String message, Throwable cause) {
        super(message, cause);
    }
}
