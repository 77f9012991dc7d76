package org.blt4j.eval;

import org.blt4j.generate.PromptContext;
import org.blt4j.model.ByteLatentTransformer;
import org.blt4j.model.EntropyModel;
import org.blt4j.token.BpeTokenizer;

/**
 * One of the three kinds of model the study compares, loaded by {@link LanguageModels#load}: a byte LM (the entropy
 * model's transformer over bytes), a token LM (the same transformer over BPE ids, with its tokenizer) or a BLT (with
 * the entropy model that patches it). Models are only read by forward passes: one instance serves any number of threads.
 */
public sealed interface LanguageModel permits LanguageModel.Bytes, LanguageModel.Tokens, LanguageModel.Blt {

    /** The longest row of ids (BOS included) one forward pass may take: the model's own context. */
    int context();

    /** A byte-level transformer: ids BOS 1, byte b → b + 4. */
    record Bytes(EntropyModel model) implements LanguageModel {
        @Override
        public int context() {
            return Math.max(2, model.args().maxSeqlen());
        }
    }

    /** A token-level transformer: ids BOS 1, EOS 2, token t → t + {@link org.blt4j.data.TokenIdStream#OFFSET}. */
    record Tokens(EntropyModel model, BpeTokenizer tokenizer) implements LanguageModel {
        @Override
        public int context() {
            return Math.max(2, model.args().maxSeqlen());
        }
    }

    /** A BLT and the entropy model that patches its input (with the BLT's own patcher args). */
    record Blt(ByteLatentTransformer model, EntropyModel entropyModel) implements LanguageModel {
        /** max_encoder_seq_length, else max_seqlen (see {@link PromptContext#of}). */
        @Override
        public int context() {
            return Math.max(2, PromptContext.of(model.args()));
        }
    }
}
