// Added tokens (tokenizer.json "added_tokens"): found in the text before the model runs, with
// Hugging Face semantics: leftmost-longest matching, single_word / lstrip / rstrip, tokens with
// normalized=false matched in the raw text and normalized=true ones in the normalized text.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "r1/tokenizer.h"

namespace r1::tok {

class Normalizer;

/// One part of a text: either plain text [begin, end) or an added token covering [begin, end)
/// (the range includes whitespace taken by lstrip / rstrip).
struct TextSegment {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::optional<TokenId> token;
};

class AddedVocabulary {
 public:
  AddedVocabulary() = default;
  /// `tokens` in HF order (special ones first matter only for identical contents);
  /// `normalizer` (may be null) normalizes the patterns of normalized tokens.
  AddedVocabulary(const std::vector<AddedToken>& tokens, const Normalizer* normalizer);

  enum class Stage { raw, normalized };

  /// Splits `text` at the added tokens of `stage` and appends the parts, in order, to `out`.
  /// `skip_special` leaves special tokens to the model (HF encode_special_tokens).
  void split(std::string_view text, Stage stage, bool skip_special,
             std::vector<TextSegment>& out) const;

  /// True when some token of `stage` exists (otherwise split() returns the text whole).
  bool has_tokens(Stage stage) const;

 private:
  struct Node {
    std::vector<std::pair<unsigned char, std::uint32_t>> children;  // sorted by byte
    int token = -1;  // index into tokens_ of the token ending here
  };
  struct Trie {
    std::vector<Node> nodes{Node{}};
    bool first_byte[256] = {};
    bool empty = true;
    void insert(std::string_view pattern, int token);
    /// Longest pattern starting at text[pos]: its token index and length, or -1.
    int longest_at(std::string_view text, std::size_t pos, std::size_t& length) const;
  };

  std::vector<AddedToken> tokens_;
  Trie raw_trie_;
  Trie normalized_trie_;
};

/// Rust regex `\w` (Unicode word character) on one code point; `\s` is unicode::is_white_space.
bool is_word_char(char32_t cp);

}  // namespace r1::tok
