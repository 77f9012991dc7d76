/**
 * A LangChain4j provider over blt4j's Java API ({@link org.blt4j.api.Blt}): {@link BltLanguageModel} and
 * {@link BltStreamingLanguageModel} continue a prompt (BLT checkpoints are base models, so this is the honest fit);
 * {@link BltChatModel} and {@link BltStreamingChatModel} render chat messages with the plain-text {@link ChatTemplate}
 * and continue it. Token usage counts bytes. See {@code docs/langchain4j.md}.
 */
package org.blt4j.langchain4j;
