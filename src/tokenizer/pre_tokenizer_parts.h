// Building blocks shared by the pre-tokenizer implementations (pre_tokenizer*.cpp); not used
// outside them.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/regex_splitter.h"

namespace r1::tok {

/// Hugging Face SplitDelimiterBehavior: what happens to the matched parts of a piece.
enum class SplitBehavior { removed, isolated, merged_with_previous, merged_with_next, contiguous };

/// Parses "Removed", "Isolated", "MergedWithPrevious", "MergedWithNext", "Contiguous".
SplitBehavior parse_split_behavior(const nlohmann::json& value, const std::string& json_path);

/// Splits `text` at `matches` (as TextPattern::find_all returns them) like Hugging Face
/// NormalizedString::split with `behavior`, matches and gaps swapped when `invert`, and appends
/// the non-empty pieces to `out`.
void split_at_matches(std::string_view text, const std::vector<MatchSpan>& matches,
                      SplitBehavior behavior, bool invert, std::vector<std::string>& out);

/// Appends one single-character match for each code point of `text` for which `predicate`
/// holds (Hugging Face's Pattern for `Fn(char) -> bool`).
void find_char_matches(std::string_view text, bool (*predicate)(char32_t),
                       std::vector<MatchSpan>& matches);

/// Base of every pre-tokenizer here: both entry points funnel into apply().
class PreTokenizerBase : public PreTokenizer {
 public:
  void split(std::vector<std::string>& pieces) const final { apply(pieces, true); }
  void split_after_added_token(std::vector<std::string>& pieces) const final {
    apply(pieces, false);
  }
  /// `first_starts_text`: pieces[0] begins at offset 0 of the whole input.
  virtual void apply(std::vector<std::string>& pieces, bool first_starts_text) const = 0;
};

/// A pre-tokenizer that handles each piece on its own.
class PiecewisePreTokenizer : public PreTokenizerBase {
 public:
  void apply(std::vector<std::string>& pieces, bool first_starts_text) const final;
  /// Appends the pieces `piece` becomes to `out` (may move from `piece`).
  virtual void split_piece(std::string& piece, bool starts_text,
                           std::vector<std::string>& out) const = 0;
};

std::unique_ptr<PreTokenizerBase> make_pre_tokenizer_part(const nlohmann::json& spec,
                                                          const std::string& json_path);
std::unique_ptr<PreTokenizerBase> make_split(const nlohmann::json& spec,
                                             const std::string& json_path);
std::unique_ptr<PreTokenizerBase> make_byte_level(const nlohmann::json& spec,
                                                  const std::string& json_path);
std::unique_ptr<PreTokenizerBase> make_digits(const nlohmann::json& spec,
                                              const std::string& json_path);
std::unique_ptr<PreTokenizerBase> make_whitespace();
std::unique_ptr<PreTokenizerBase> make_whitespace_split();
std::unique_ptr<PreTokenizerBase> make_punctuation(const nlohmann::json& spec,
                                                   const std::string& json_path);
std::unique_ptr<PreTokenizerBase> make_bert_pre_tokenizer();
std::unique_ptr<PreTokenizerBase> make_char_delimiter_split(const nlohmann::json& spec,
                                                            const std::string& json_path);
std::unique_ptr<PreTokenizerBase> make_fixed_length(const nlohmann::json& spec,
                                                    const std::string& json_path);
std::unique_ptr<PreTokenizerBase> make_metaspace(const nlohmann::json& spec,
                                                 const std::string& json_path);
std::unique_ptr<PreTokenizerBase> make_sequence(const nlohmann::json& spec,
                                                const std::string& json_path);

}  // namespace r1::tok
