// Pre-tokenizers from tokenizer.json's "pre_tokenizer" field: Split (regex or string, with every
// SplitDelimiterBehavior and invert), ByteLevel, Digits, Whitespace, WhitespaceSplit, Metaspace,
// Punctuation, BertPreTokenizer, CharDelimiterSplit, FixedLength, Sequence (UnicodeScripts is not
// supported). BPE then runs on each piece separately.
//
// Byte-level convention: the ByteLevel pre-tokenizer does NOT map bytes to the GPT-2 alphabet
// (Ġ for space ...). It only splits (use_regex) and adds the prefix space (add_prefix_space). The
// tokenizer converts the vocabulary and merges of a byte-level model to raw bytes once at load,
// which is equivalent because the GPT-2 byte<->char mapping is a bijection, and saves the mapping
// on every encode.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace r1::tok {

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  /// Splits every piece of `pieces` further (or rewrites it) in place, keeping their order.
  /// `pieces` are the parts of one stretch of text between added tokens; the first piece is the
  /// start of that stretch.
  virtual void split(std::vector<std::string>& pieces) const = 0;
  /// Same as split() for a stretch that does not begin the input text (it follows an added
  /// token). Only Metaspace with prepend_scheme "first" treats it differently: Hugging Face
  /// prepends the replacement only to the piece at offset 0 of the whole input.
  virtual void split_after_added_token(std::vector<std::string>& pieces) const { split(pieces); }
  /// True when this is, or a Sequence contains, a ByteLevel pre-tokenizer (so the model is
  /// byte-level and works on raw bytes, see above).
  virtual bool is_byte_level() const { return false; }
};

/// Builds the pre-tokenizer described by `spec`; nullptr for JSON null. Throws Error(unsupported)
/// naming an unknown "type" and `json_path`, Error(invalid_file) for a malformed spec or a regex
/// that does not compile.
std::unique_ptr<PreTokenizer> make_pre_tokenizer(const nlohmann::json& spec,
                                                 const std::string& json_path);

}  // namespace r1::tok
