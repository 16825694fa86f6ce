// The reasoning/content state machine.
#include "server/reasoning_splitter.h"

#include <algorithm>
#include <utility>

namespace r1::server {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Length of the longest suffix of `text` that is a proper prefix of `tag` (a tag that may still
// be completed by the next piece).
std::size_t partial_tag_suffix(std::string_view text, std::string_view tag) {
  const std::size_t longest = std::min(text.size(), tag.size() - 1);
  for (std::size_t length = longest; length > 0; --length) {
    if (text.substr(text.size() - length) == tag.substr(0, length)) return length;
  }
  return 0;
}

}  // namespace

ReasoningSplitter::ReasoningSplitter(bool starts_in_reasoning, std::string open_tag,
                                     std::string close_tag)
    : state_(starts_in_reasoning ? State::reasoning : State::detect),
      open_tag_(std::move(open_tag)),
      close_tag_(std::move(close_tag)) {}

ReasoningSplitter::Parts ReasoningSplitter::feed(std::string_view text) {
  pending_.append(text);
  Parts out;
  process(out);
  return out;
}

ReasoningSplitter::Parts ReasoningSplitter::finish() {
  Parts out;
  process(out);
  // Whatever is still held can no longer become a tag.
  if (state_ == State::reasoning) {
    out.reasoning += pending_;
  } else {
    out.content += pending_;
  }
  pending_.clear();
  newlines_to_skip_ = 0;
  if (state_ == State::detect) state_ = State::content;
  return out;
}

bool ReasoningSplitter::skip_newlines() {
  std::size_t skipped = 0;
  while (newlines_to_skip_ > 0 && skipped < pending_.size() && pending_[skipped] == '\n') {
    ++skipped;
    --newlines_to_skip_;
  }
  pending_.erase(0, skipped);
  if (pending_.empty()) return newlines_to_skip_ == 0;
  newlines_to_skip_ = 0;  // a non-newline ends the skipping
  return true;
}

void ReasoningSplitter::process(Parts& out) {
  for (;;) {
    switch (state_) {
      case State::detect: {
        std::size_t start = 0;
        while (start < pending_.size() && is_space(pending_[start])) ++start;
        const std::string_view rest = std::string_view(pending_).substr(start);
        if (rest.empty()) return;  // only whitespace so far: a tag may follow
        if (rest.substr(0, open_tag_.size()) == open_tag_) {
          pending_.erase(0, start + open_tag_.size());
          state_ = State::reasoning;
          newlines_to_skip_ = 1;
          continue;
        }
        if (rest.size() < open_tag_.size() && open_tag_.compare(0, rest.size(), rest) == 0) {
          return;  // "<thi": wait for the rest
        }
        state_ = State::content;  // no thinking block: everything is content, whitespace included
        continue;
      }
      case State::reasoning: {
        if (!skip_newlines()) return;
        const std::size_t close = pending_.find(close_tag_);
        if (close != std::string::npos) {
          out.reasoning.append(pending_, 0, close);
          pending_.erase(0, close + close_tag_.size());
          state_ = State::content;
          newlines_to_skip_ = 2;
          continue;
        }
        const std::size_t held = partial_tag_suffix(pending_, close_tag_);
        out.reasoning.append(pending_, 0, pending_.size() - held);
        pending_.erase(0, pending_.size() - held);
        return;
      }
      case State::content:
        if (!skip_newlines()) return;
        out.content += pending_;
        pending_.clear();
        return;
    }
  }
}

}  // namespace r1::server
