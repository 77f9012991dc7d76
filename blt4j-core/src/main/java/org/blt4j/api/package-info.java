/**
 * A small Java API over the BLT: {@link org.blt4j.api.Blt} loads a BLT with its entropy model and generates, patches
 * and scores text; {@link org.blt4j.api.GenerateOptions} says how to generate; {@link org.blt4j.api.Patches} is a
 * text cut into patches. Errors are {@link org.blt4j.Blt4jException}s with a one-line message.
 */
package org.blt4j.api;
