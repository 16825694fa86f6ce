#include "tokenizer/added_vocabulary.h"

#include "tokenizer/unicode.h"

#include <algorithm>

#include <utf8proc.h>

#include "core/utf8.h"
#include "tokenizer/normalizer.h"

namespace r1::tok {
namespace {

// Code point that ends just before byte `end` of valid UTF-8 `text` (end > 0).
char32_t code_point_before(std::string_view text, std::size_t end) {
  std::size_t start = end - 1;
  while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
  return utf8::decode_at(text, start);
}

char32_t code_point_at(std::string_view text, std::size_t pos) {
  return utf8::decode_at(text, pos);
}

// Byte offset where the run of whitespace ending at `end` starts (regex `\s*$` on text[..end]).
std::size_t trailing_space_start(std::string_view text, std::size_t end) {
  while (end > 0) {
    std::size_t start = end - 1;
    while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
    std::size_t pos = start;
    if (!unicode::is_white_space(utf8::decode_at(text, pos))) break;
    end = start;
  }
  return end;
}

// Byte offset just past the run of whitespace starting at `begin` (regex `^\s*` on text[begin..]).
std::size_t leading_space_end(std::string_view text, std::size_t begin) {
  while (begin < text.size()) {
    std::size_t pos = begin;
    if (!unicode::is_white_space(utf8::decode_at(text, pos))) break;
    begin = pos;
  }
  return begin;
}

}  // namespace

bool is_word_char(char32_t cp) {
  if (cp < 0x80) {
    return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9') ||
           cp == '_';
  }
  if (cp == 0x200C || cp == 0x200D) return true;  // Join_Control
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(cp))) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_PC:
      return true;
    default:
      return false;
  }
}

void AddedVocabulary::Trie::insert(std::string_view pattern, int token) {
  if (pattern.empty()) return;
  empty = false;
  first_byte[static_cast<unsigned char>(pattern[0])] = true;
  std::uint32_t node = 0;
  for (unsigned char byte : pattern) {
    auto& children = nodes[node].children;
    auto it = std::lower_bound(children.begin(), children.end(), byte,
                               [](const auto& child, unsigned char b) { return child.first < b; });
    if (it != children.end() && it->first == byte) {
      node = it->second;
    } else {
      const auto child = static_cast<std::uint32_t>(nodes.size());
      children.insert(it, {byte, child});
      nodes.emplace_back();
      node = child;
    }
  }
  // The first token with a given content wins, as HF's trie keeps the first pattern.
  if (nodes[node].token < 0) nodes[node].token = token;
}

int AddedVocabulary::Trie::longest_at(std::string_view text, std::size_t pos,
                                      std::size_t& length) const {
  int found = -1;
  std::uint32_t node = 0;
  for (std::size_t i = pos; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    const auto& children = nodes[node].children;
    auto it = std::lower_bound(children.begin(), children.end(), byte,
                               [](const auto& child, unsigned char b) { return child.first < b; });
    if (it == children.end() || it->first != byte) break;
    node = it->second;
    if (nodes[node].token >= 0) {
      found = nodes[node].token;
      length = i + 1 - pos;
    }
  }
  return found;
}

AddedVocabulary::AddedVocabulary(const std::vector<AddedToken>& tokens,
                                 const Normalizer* normalizer)
    : tokens_(tokens) {
  for (std::size_t i = 0; i < tokens_.size(); ++i) {
    const AddedToken& token = tokens_[i];
    if (token.normalized) {
      const std::string pattern = normalizer ? normalizer->normalize(token.content) : token.content;
      normalized_trie_.insert(pattern, static_cast<int>(i));
    } else {
      raw_trie_.insert(token.content, static_cast<int>(i));
    }
  }
}

bool AddedVocabulary::has_tokens(Stage stage) const {
  return !(stage == Stage::raw ? raw_trie_ : normalized_trie_).empty;
}

void AddedVocabulary::split(std::string_view text, Stage stage, bool skip_special,
                            std::vector<TextSegment>& out) const {
  const Trie& trie = stage == Stage::raw ? raw_trie_ : normalized_trie_;
  std::size_t done = 0;  // end of the last emitted segment
  std::size_t pos = 0;
  while (pos < text.size() && !trie.empty) {
    if (!trie.first_byte[static_cast<unsigned char>(text[pos])]) {
      ++pos;
      continue;
    }
    std::size_t length = 0;
    const int index = trie.longest_at(text, pos, length);
    if (index < 0) {
      ++pos;
      continue;
    }
    // Like HF's Aho-Corasick iterator, a rejected match still consumes its text.
    std::size_t start = pos;
    std::size_t stop = pos + length;
    pos = stop;
    const AddedToken& token = tokens_[index];
    if (skip_special && token.special) continue;
    if (token.single_word) {
      const bool space_before = start == 0 || !is_word_char(code_point_before(text, start));
      const bool space_after = stop == text.size() || !is_word_char(code_point_at(text, stop));
      if (!space_before || !space_after) continue;
    }
    if (token.lstrip) start = std::max(trailing_space_start(text, start), done);
    if (token.rstrip) stop = leading_space_end(text, stop);
    start = std::max(start, done);
    if (done < start) out.push_back({done, start, std::nullopt});
    out.push_back({start, stop, token.id});
    done = stop;
  }
  if (done < text.size()) out.push_back({done, text.size(), std::nullopt});
}

}  // namespace r1::tok
