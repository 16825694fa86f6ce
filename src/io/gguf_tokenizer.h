// Tokenizers between Hugging Face files (tokenizer.json + tokenizer_config.json) and GGUF metadata
// (tokenizer.ggml.*, tokenizer.chat_template), both ways, for byte-level BPE ("gpt2") vocabularies.
//
// GGUF -> HF lets r1 run a GGUF file that has no tokenizer.json beside it: the result is the text
// of a tokenizer.json and a tokenizer_config.json that r1::Tokenizer::from_json reads and that
// tokenize as the original Hugging Face tokenizer does (and as llama.cpp does, up to llama.cpp's
// own deviations such as skipping the NFC normalizer of Qwen2).
//
// HF -> GGUF writes the keys llama.cpp's convert_hf_to_gguf.py writes (`_set_vocab_gpt2` followed
// by gguf-py's SpecialVocab): tokenizer.ggml.model "gpt2", tokenizer.ggml.pre, the token list
// padded with "[PAD<id>]" to the model's vocabulary rows, token types, merges, special token ids,
// add_bos/add_sep/add_eos flags and the chat template(s).
//
// Token types (llama.cpp's llama_token_type): 1 normal, 2 unknown, 3 control, 4 user-defined,
// 5 unused, 6 byte. GGUF has no "special" flag: control tokens are HF's special added tokens,
// user-defined ones its other added tokens. The converter also types added tokens that look
// special ("<|...|>", "<｜...｜>") as control even where tokenizer.json says "special": false, so
// they come back special (as llama.cpp treats them).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "io/gguf_metadata.h"
#include "io/gguf_writer.h"

namespace r1::io {

/// The text of the two Hugging Face tokenizer files.
struct HfTokenizerFiles {
  std::string tokenizer_json;
  std::string tokenizer_config_json;
};

/// Values of tokenizer.ggml.pre this module converts (both ways): "qwen2", "deepseek-r1-qwen",
/// "llama-bpe" (also read as "llama3"/"llama-v3"), "smollm", "gpt-2", "default".
std::span<const std::string_view> supported_gguf_tokenizer_pre_names();

/// Builds tokenizer.json / tokenizer_config.json from a GGUF file's tokenizer keys. `origin` (the
/// file's path) prefixes error messages. Throws Error(not_found) when tokenizer.ggml.model or
/// .tokens is missing, Error(unsupported) for a model other than "gpt2" or an unknown pre name
/// (listing the supported ones), Error(invalid_file) for inconsistent data: token_type of another
/// length, a merge naming a token that is not in the vocabulary, a special token id out of range,
/// duplicate or non-UTF-8 tokens. A missing tokenizer.ggml.pre means "default", as in llama.cpp.
/// Every GGUF token, unused "[PAD<id>]" rows included, is in model.vocab (so any id the model can
/// sample decodes); control / user-defined tokens are also special / non-special added tokens.
/// Qwen2's pre types get HF's NFC normalizer (llama.cpp applies none). The BOS is added as
/// tokenizer.ggml.add_bos_token says, else by llama.cpp's default for the pre type (llama-bpe:
/// yes); a missing bos_token_id means no BOS (llama.cpp would fall back to id 11). The config also
/// records the pre name as "gguf_tokenizer_pre" (informational; nothing reads it).
HfTokenizerFiles tokenizer_files_from_gguf(const GgufMetadata& metadata, const std::string& origin);

/// Adds the tokenizer keys of a Hugging Face byte-level BPE tokenizer to `writer`, as
/// convert_hf_to_gguf.py would. `n_vocab_rows` is the model's vocabulary size (rows of the
/// embedding, config.json vocab_size); ids from the tokenizer's size up to it become "[PAD<id>]"
/// tokens of type unused; 0 means the tokenizer's own size. The pre name is recognised from the
/// pre-tokenizer (the exact split regexes of the supported types; Qwen2's regex is written as
/// "deepseek-r1-qwen" when the tokenizer adds a BOS token, as the converter's checksum then
/// finds DeepSeek-R1-Distill-Qwen, else "qwen2"). Special ids, add_* flags and templates follow
/// gguf-py's SpecialVocab over tokenizer.json + tokenizer_config.json and, when given,
/// `model_config_json` (the model's config.json, whose <type>_token_id fill the types still
/// without an id, as the converter reads them; chat_template.jinja files are not consulted). A
/// vocabulary entry "[PAD<id>]" at its own id is typed unused, so GGUF -> HF -> GGUF is stable.
/// Throws Error(unsupported) for other models or pre-tokenizers, Error(invalid_file) for malformed
/// files or n_vocab_rows smaller than the tokenizer; `origin` prefixes messages.
void add_tokenizer_to_gguf(GgufWriter& writer, std::string_view tokenizer_json,
                           std::string_view tokenizer_config_json, std::int64_t n_vocab_rows,
                           const std::string& origin, std::string_view model_config_json = {});

}  // namespace r1::io
