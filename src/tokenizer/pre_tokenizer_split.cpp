// The Split pre-tokenizer and the splitting machinery every other pre-tokenizer reuses.
#include <nlohmann/json.hpp>

#include "tokenizer/pre_tokenizer_parts.h"
#include "tokenizer/spec_fields.h"
#include "tokenizer/unicode.h"

namespace r1::tok {
namespace {

// One part of a piece: a match of the pattern or the text between two matches.
struct Segment {
  std::size_t start;
  std::size_t end;
  bool is_match;
};

// Matches and gaps covering `text`, like Hugging Face Pattern::find_matches, then merged or
// dropped per behavior (NormalizedString::split). Returns kept parts; removed ones are skipped.
void segments_for(std::string_view text, const std::vector<MatchSpan>& matches,
                  SplitBehavior behavior, bool invert, std::vector<Segment>& out) {
  thread_local std::vector<Segment> parts;
  parts.clear();
  std::size_t previous = 0;
  for (const MatchSpan& m : matches) {
    if (previous != m.start) parts.push_back({previous, m.start, invert});
    parts.push_back({m.start, m.end, !invert});
    previous = m.end;
  }
  if (previous != text.size()) parts.push_back({previous, text.size(), invert});

  switch (behavior) {
    case SplitBehavior::isolated:
      out.insert(out.end(), parts.begin(), parts.end());
      return;
    case SplitBehavior::removed:
      for (const Segment& s : parts) {
        if (!s.is_match) out.push_back(s);
      }
      return;
    case SplitBehavior::contiguous: {
      bool previous_match = false;
      const std::size_t first = out.size();
      for (const Segment& s : parts) {
        if (s.is_match == previous_match && out.size() > first) {
          out.back().end = s.end;
        } else {
          out.push_back(s);
        }
        previous_match = s.is_match;
      }
      return;
    }
    case SplitBehavior::merged_with_previous: {
      bool previous_match = false;
      const std::size_t first = out.size();
      for (const Segment& s : parts) {
        if (s.is_match && !previous_match && out.size() > first) {
          out.back().end = s.end;
        } else {
          out.push_back(s);
        }
        previous_match = s.is_match;
      }
      return;
    }
    case SplitBehavior::merged_with_next: {
      // Walks backwards: a match joins the part that follows it.
      bool previous_match = false;
      const std::size_t first = out.size();
      for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
        if (it->is_match && !previous_match && out.size() > first) {
          out.back().start = it->start;
        } else {
          out.push_back(*it);
        }
        previous_match = it->is_match;
      }
      std::reverse(out.begin() + static_cast<std::ptrdiff_t>(first), out.end());
      return;
    }
  }
}

class SplitPreTokenizer final : public PiecewisePreTokenizer {
 public:
  SplitPreTokenizer(std::unique_ptr<TextPattern> pattern, SplitBehavior behavior, bool invert)
      : pattern_(std::move(pattern)), behavior_(behavior), invert_(invert) {}

  void split_piece(std::string& piece, bool, std::vector<std::string>& out) const override {
    thread_local std::vector<MatchSpan> matches;
    matches.clear();
    pattern_->find_all(piece, matches);
    split_at_matches(piece, matches, behavior_, invert_, out);
  }

 private:
  std::unique_ptr<TextPattern> pattern_;
  SplitBehavior behavior_;
  bool invert_;
};

}  // namespace

SplitBehavior parse_split_behavior(const nlohmann::json& value, const std::string& json_path) {
  if (value.is_string()) {
    const std::string& name = value.get_ref<const std::string&>();
    if (name == "Removed") return SplitBehavior::removed;
    if (name == "Isolated") return SplitBehavior::isolated;
    if (name == "MergedWithPrevious") return SplitBehavior::merged_with_previous;
    if (name == "MergedWithNext") return SplitBehavior::merged_with_next;
    if (name == "Contiguous") return SplitBehavior::contiguous;
  }
  fields::fail(json_path, "unknown split behavior " + value.dump() +
                              " (expected Removed, Isolated, MergedWithPrevious, "
                              "MergedWithNext or Contiguous)");
}

void split_at_matches(std::string_view text, const std::vector<MatchSpan>& matches,
                      SplitBehavior behavior, bool invert, std::vector<std::string>& out) {
  if (behavior == SplitBehavior::isolated) {
    // Fast path for the common case: every match and every gap is a piece (invert swaps
    // nothing that matters here).
    std::size_t previous = 0;
    for (const MatchSpan& m : matches) {
      if (m.start > previous) out.emplace_back(text.substr(previous, m.start - previous));
      if (m.end > m.start) out.emplace_back(text.substr(m.start, m.end - m.start));
      previous = m.end;
    }
    if (text.size() > previous) out.emplace_back(text.substr(previous));
    return;
  }
  thread_local std::vector<Segment> kept;
  kept.clear();
  segments_for(text, matches, behavior, invert, kept);
  for (const Segment& s : kept) {
    if (s.end > s.start) out.emplace_back(text.substr(s.start, s.end - s.start));
  }
}

void find_char_matches(std::string_view text, bool (*predicate)(char32_t),
                       std::vector<MatchSpan>& matches) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t start = pos;
    const char32_t cp = unicode::decode_valid(text, pos);
    if (predicate(cp)) matches.push_back({start, pos});
  }
}

void PiecewisePreTokenizer::apply(std::vector<std::string>& pieces, bool first_starts_text) const {
  std::vector<std::string> out;
  out.reserve(pieces.size());
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    if (pieces[i].empty()) continue;  // nothing to split, and Hugging Face prepends nothing
    split_piece(pieces[i], first_starts_text && i == 0, out);
  }
  pieces = std::move(out);
}

std::unique_ptr<PreTokenizerBase> make_split(const nlohmann::json& spec,
                                             const std::string& json_path) {
  auto pattern =
      make_text_pattern(fields::require(spec, "pattern", json_path), json_path + ".pattern");
  const SplitBehavior behavior =
      parse_split_behavior(fields::require(spec, "behavior", json_path), json_path + ".behavior");
  const bool invert = fields::bool_or(spec, "invert", json_path, false);
  return std::make_unique<SplitPreTokenizer>(std::move(pattern), behavior, invert);
}

}  // namespace r1::tok
