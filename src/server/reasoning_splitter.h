// Splits streamed model output into its thinking and its answer, the way DeepSeek's API returns
// them (reasoning_content vs content).
//
// DeepSeek-R1's chat template ends the prompt with "<think>\n", so generation starts inside the
// thinking (starts_in_reasoning = true): everything up to "</think>" is reasoning, the rest is
// content. With starts_in_reasoning = false, output that begins with "<think>" (after optional
// whitespace, which is dropped) enters the thinking and one "\n" right after that tag is dropped;
// output that begins otherwise is all content. Only one thinking block is recognised: a later
// "<think>" or "</think>" is plain content. The tags never appear in either part.
//
// Newlines after "</think>": the model writes "</think>\n\n" before its answer. DeepSeek's API
// returns the answer without them, so up to two "\n" right after the close tag are dropped. (vLLM's
// deepseek_r1 reasoning parser keeps them in content; we follow DeepSeek's API, whose clients
// render content as-is.)
//
// Streaming: text is released as soon as it cannot be part of a tag; only a possible start of the
// tag being looked for ("</th" at the end of a piece) is held back until the next feed() or
// finish(). Matching is on bytes, so held text never splits a UTF-8 character that the input kept
// whole (the tags are ASCII).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace r1::server {

class ReasoningSplitter {
 public:
  explicit ReasoningSplitter(bool starts_in_reasoning, std::string open_tag = "<think>",
                             std::string close_tag = "</think>");

  struct Parts {
    std::string reasoning;
    std::string content;
  };

  /// Text as released by the detokenizer (whole UTF-8 characters). Returns what can be shown now.
  Parts feed(std::string_view text);
  /// End of generation: releases anything held back (an unfinished tag is text of its part).
  Parts finish();
  /// True while output goes to reasoning (before "</think>").
  bool in_reasoning() const { return state_ == State::reasoning; }

 private:
  enum class State { detect, reasoning, content };

  void process(Parts& out);
  // Drops up to newlines_to_skip_ leading "\n" of pending_; false when pending_ ran out first.
  bool skip_newlines();

  State state_;
  std::string open_tag_;
  std::string close_tag_;
  std::string pending_;  // text not yet released
  std::size_t newlines_to_skip_ = 0;
};

}  // namespace r1::server
