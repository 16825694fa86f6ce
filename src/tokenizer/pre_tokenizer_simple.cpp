// The pre-tokenizers without a configurable pattern: Digits, Whitespace, WhitespaceSplit,
// Punctuation, BertPreTokenizer, CharDelimiterSplit, FixedLength and Metaspace.
#include <nlohmann/json.hpp>

#include "core/utf8.h"
#include "tokenizer/pre_tokenizer_parts.h"
#include "tokenizer/spec_fields.h"
#include "tokenizer/unicode.h"

namespace r1::tok {
namespace {

// Splits each piece at the characters `predicate` selects (Hugging Face's char patterns).
class CharPredicatePreTokenizer final : public PiecewisePreTokenizer {
 public:
  CharPredicatePreTokenizer(bool (*predicate)(char32_t), SplitBehavior behavior)
      : predicate_(predicate), behavior_(behavior) {}

  void split_piece(std::string& piece, bool, std::vector<std::string>& out) const override {
    thread_local std::vector<MatchSpan> matches;
    matches.clear();
    find_char_matches(piece, predicate_, matches);
    split_at_matches(piece, matches, behavior_, false, out);
  }

 private:
  bool (*predicate_)(char32_t);
  SplitBehavior behavior_;
};

// Rust's char::is_ascii_punctuation or a Unicode P* category (Punctuation pre-tokenizer).
bool is_punctuation_char(char32_t cp) {
  if (cp < 128) {
    return (cp >= '!' && cp <= '/') || (cp >= ':' && cp <= '@') || (cp >= '[' && cp <= '`') ||
           (cp >= '{' && cp <= '~');
  }
  return unicode::is_punctuation(cp);
}

// Rust regex crate's Unicode `\w`: Alphabetic, Mark, Decimal_Number, Connector_Punctuation,
// Join_Control. Alphabetic is L, Nl and Other_Alphabetic; the Other_Alphabetic code points that
// are not marks are the circled / squared Latin letters listed here.
bool is_rust_word_char(char32_t cp) {
  if (cp < 128) {
    return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9') ||
           cp == '_';
  }
  if (cp == 0x200C || cp == 0x200D) return true;
  if ((cp >= 0x24B6 && cp <= 0x24E9) || (cp >= 0x1F130 && cp <= 0x1F149) ||
      (cp >= 0x1F150 && cp <= 0x1F169) || (cp >= 0x1F170 && cp <= 0x1F189)) {
    return true;
  }
  return unicode::is_letter(cp) || unicode::is_mark(cp) || unicode::is_decimal_number(cp) ||
         unicode::is_letter_number(cp) || unicode::is_connector_punctuation(cp);
}

// Whitespace: `\w+|[^\w\s]+` (Rust regex), keeping the matches and dropping what is between.
// Equivalent: maximal runs of word characters and maximal runs of other non-space characters.
class WhitespacePreTokenizer final : public PiecewisePreTokenizer {
 public:
  void split_piece(std::string& piece, bool, std::vector<std::string>& out) const override {
    enum class Kind { word, space, other };
    const auto kind_of = [](char32_t cp) {
      if (is_rust_word_char(cp)) return Kind::word;
      if (unicode::is_white_space(cp)) return Kind::space;
      return Kind::other;
    };
    std::size_t pos = 0;
    std::size_t run_start = 0;
    Kind run_kind = Kind::space;
    while (pos < piece.size()) {
      const std::size_t start = pos;
      const Kind kind = kind_of(unicode::decode_valid(piece, pos));
      if (kind == run_kind) continue;
      if (run_kind != Kind::space) out.emplace_back(piece, run_start, start - run_start);
      run_kind = kind;
      run_start = start;
    }
    if (run_kind != Kind::space) out.emplace_back(piece, run_start, piece.size() - run_start);
  }
};

// BertPreTokenizer: drop white space, then isolate each punctuation character.
class BertPreTokenizer final : public PiecewisePreTokenizer {
 public:
  void split_piece(std::string& piece, bool, std::vector<std::string>& out) const override {
    thread_local std::vector<MatchSpan> matches;
    thread_local std::vector<std::string> words;
    matches.clear();
    words.clear();
    find_char_matches(piece, unicode::is_white_space, matches);
    split_at_matches(piece, matches, SplitBehavior::removed, false, words);
    for (const std::string& word : words) {
      matches.clear();
      find_char_matches(word, is_punctuation_char, matches);
      split_at_matches(word, matches, SplitBehavior::isolated, false, out);
    }
  }
};

// CharDelimiterSplit: split on one character, dropping it.
class CharDelimiterPreTokenizer final : public PiecewisePreTokenizer {
 public:
  explicit CharDelimiterPreTokenizer(std::string delimiter) : delimiter_(std::move(delimiter)) {}

  void split_piece(std::string& piece, bool, std::vector<std::string>& out) const override {
    thread_local std::vector<MatchSpan> matches;
    matches.clear();
    for (std::size_t pos = piece.find(delimiter_); pos != std::string::npos;
         pos = piece.find(delimiter_, pos + delimiter_.size())) {
      matches.push_back({pos, pos + delimiter_.size()});
    }
    split_at_matches(piece, matches, SplitBehavior::removed, false, out);
  }

 private:
  std::string delimiter_;
};

// FixedLength: pieces of `length` characters (the last one shorter).
class FixedLengthPreTokenizer final : public PiecewisePreTokenizer {
 public:
  explicit FixedLengthPreTokenizer(std::size_t length) : length_(length) {}

  void split_piece(std::string& piece, bool, std::vector<std::string>& out) const override {
    std::size_t start = 0;
    std::size_t pos = 0;
    std::size_t count = 0;
    while (pos < piece.size()) {
      unicode::decode_valid(piece, pos);
      if (++count == length_) {
        out.emplace_back(piece, start, pos - start);
        start = pos;
        count = 0;
      }
    }
    if (pos > start) out.emplace_back(piece, start, pos - start);
  }

 private:
  std::size_t length_;
};

class MetaspacePreTokenizer final : public PiecewisePreTokenizer {
 public:
  enum class Prepend { always, first, never };

  MetaspacePreTokenizer(std::string replacement, Prepend prepend, bool split)
      : replacement_(std::move(replacement)), prepend_(prepend), split_(split) {}

  void split_piece(std::string& piece, bool starts_text,
                   std::vector<std::string>& out) const override {
    std::string text;
    text.reserve(piece.size() + replacement_.size() * 4);
    const bool starts_with_replacement = piece.rfind(replacement_, 0) == 0 ||
                                         (piece[0] == ' ');  // the space becomes the replacement
    if (!starts_with_replacement &&
        (prepend_ == Prepend::always || (prepend_ == Prepend::first && starts_text))) {
      text += replacement_;
    }
    for (char c : piece) {
      if (c == ' ') {
        text += replacement_;
      } else {
        text += c;
      }
    }
    if (!split_) {
      out.push_back(std::move(text));
      return;
    }
    // Split on the replacement, each one starting a new piece (MergedWithNext).
    thread_local std::vector<MatchSpan> matches;
    matches.clear();
    std::size_t pos = text.find(replacement_);
    while (pos != std::string::npos) {
      matches.push_back({pos, pos + replacement_.size()});
      pos = text.find(replacement_, pos + replacement_.size());
    }
    split_at_matches(text, matches, SplitBehavior::merged_with_next, false, out);
  }

 private:
  std::string replacement_;
  Prepend prepend_;
  bool split_;
};

}  // namespace

std::unique_ptr<PreTokenizerBase> make_digits(const nlohmann::json& spec,
                                              const std::string& json_path) {
  const bool individual = fields::bool_or(spec, "individual_digits", json_path, false);
  return std::make_unique<CharPredicatePreTokenizer>(
      unicode::is_number, individual ? SplitBehavior::isolated : SplitBehavior::contiguous);
}

std::unique_ptr<PreTokenizerBase> make_whitespace() {
  return std::make_unique<WhitespacePreTokenizer>();
}

std::unique_ptr<PreTokenizerBase> make_whitespace_split() {
  return std::make_unique<CharPredicatePreTokenizer>(unicode::is_white_space,
                                                     SplitBehavior::removed);
}

std::unique_ptr<PreTokenizerBase> make_punctuation(const nlohmann::json& spec,
                                                   const std::string& json_path) {
  SplitBehavior behavior = SplitBehavior::isolated;
  if (const auto it = spec.find("behavior"); it != spec.end() && !it->is_null()) {
    behavior = parse_split_behavior(*it, json_path + ".behavior");
  }
  return std::make_unique<CharPredicatePreTokenizer>(is_punctuation_char, behavior);
}

std::unique_ptr<PreTokenizerBase> make_bert_pre_tokenizer() {
  return std::make_unique<BertPreTokenizer>();
}

std::unique_ptr<PreTokenizerBase> make_char_delimiter_split(const nlohmann::json& spec,
                                                            const std::string& json_path) {
  const std::string delimiter = fields::require_string(spec, "delimiter", json_path);
  if (delimiter.empty() || utf8::valid_sequence_length(delimiter, 0) != delimiter.size()) {
    fields::fail(json_path + ".delimiter", "must be exactly one character");
  }
  return std::make_unique<CharDelimiterPreTokenizer>(delimiter);
}

std::unique_ptr<PreTokenizerBase> make_fixed_length(const nlohmann::json& spec,
                                                    const std::string& json_path) {
  std::size_t length = 5;
  if (const auto it = spec.find("length"); it != spec.end() && !it->is_null()) {
    if (!it->is_number_unsigned() || it->get<std::size_t>() == 0) {
      fields::fail(json_path + ".length", "must be a positive integer, found " + it->dump());
    }
    length = it->get<std::size_t>();
  }
  return std::make_unique<FixedLengthPreTokenizer>(length);
}

std::unique_ptr<PreTokenizerBase> make_metaspace(const nlohmann::json& spec,
                                                 const std::string& json_path) {
  const std::string replacement = fields::require_string(spec, "replacement", json_path);
  if (replacement.empty() || utf8::valid_sequence_length(replacement, 0) != replacement.size()) {
    fields::fail(json_path + ".replacement", "must be exactly one character");
  }
  using Prepend = MetaspacePreTokenizer::Prepend;
  const std::string scheme = fields::string_or(spec, "prepend_scheme", json_path, "always");
  Prepend prepend;
  if (scheme == "always") {
    prepend = Prepend::always;
  } else if (scheme == "first") {
    prepend = Prepend::first;
  } else if (scheme == "never") {
    prepend = Prepend::never;
  } else {
    fields::fail(json_path + ".prepend_scheme",
                 "unknown value \"" + scheme + "\" (expected always, first or never)");
  }
  // Older files carry add_prefix_space; false must agree with prepend_scheme "never".
  if (!fields::bool_or(spec, "add_prefix_space", json_path, true)) {
    if (prepend != Prepend::never) {
      fields::fail(json_path,
                   "add_prefix_space false does not match prepend_scheme \"" + scheme + "\"");
    }
  }
  const bool split = fields::bool_or(spec, "split", json_path, true);
  return std::make_unique<MetaspacePreTokenizer>(replacement, prepend, split);
}

}  // namespace r1::tok
