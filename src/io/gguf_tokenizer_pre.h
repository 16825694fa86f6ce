// The tokenizer.ggml.pre types the GGUF tokenizer conversion supports, each with the Hugging Face
// pieces that tokenize like it (normalizer, pre-tokenizer, BPE ignore_merges) and llama.cpp's
// defaults for it (add_bos, clean_spaces); and the reverse lookup from a tokenizer.json.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace r1::io::gguf_pre {

/// One supported pre-tokenizer type.
struct PreKind {
  std::string_view name;         // as tokenizer.ggml.pre writes it
  nlohmann::json normalizer;     // tokenizer.json "normalizer" (null or NFC)
  nlohmann::json pre_tokenizer;  // tokenizer.json "pre_tokenizer"
  bool ignore_merges = false;    // BPE ignore_merges (llama.cpp sets it for llama-bpe)
  bool default_add_bos = false;  // llama.cpp's add_bos when the file has no add_bos_token
  bool clean_spaces = false;     // llama.cpp's clean_spaces (HF clean_up_tokenization_spaces)
};

/// The kind named `name` in a GGUF file (aliases such as "llama3" included), or nullptr.
const PreKind* find_pre_kind(std::string_view name);

/// "qwen2, deepseek-r1-qwen, ..." for messages.
std::string supported_pre_list();

/// The tokenizer.ggml.pre name for a tokenizer.json's normalizer and pre_tokenizer (which must be
/// exactly one of the supported shapes, split regexes compared as text). `adds_bos` picks
/// "deepseek-r1-qwen" over "qwen2". Throws Error(unsupported) naming `origin` and what differs.
std::string_view detect_pre_name(const nlohmann::json& normalizer,
                                 const nlohmann::json& pre_tokenizer, bool adds_bos,
                                 const std::string& origin);

}  // namespace r1::io::gguf_pre
