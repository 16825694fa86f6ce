// StopMatcher: holds back only what could still grow into a stop string.
#include <algorithm>

#include "r1/error.h"
#include "r1/sampler.h"

namespace r1 {

StopMatcher::StopMatcher(std::vector<std::string> stop_strings)
    : stop_strings_(std::move(stop_strings)) {
  for (std::size_t i = 0; i < stop_strings_.size(); ++i) {
    if (stop_strings_[i].empty()) {
      throw Error(ErrorCode::invalid_argument,
                  "stop string " + std::to_string(i) + " is empty; remove it or give it text");
    }
  }
}

StopFeedResult StopMatcher::feed(std::string_view piece) {
  StopFeedResult result;
  if (stopped_) {
    result.stopped = true;
    return result;
  }
  pending_.append(piece);
  // The earliest occurrence wins; pending_ never holds a complete stop string between calls, so
  // searching it from the start finds exactly the occurrences the new piece completed.
  std::size_t earliest = std::string::npos;
  const std::string* earliest_stop = nullptr;
  for (const std::string& stop : stop_strings_) {
    const std::size_t at = pending_.find(stop);
    if (at < earliest) {
      earliest = at;
      earliest_stop = &stop;
    }
  }
  if (earliest_stop != nullptr) {
    stopped_ = true;
    matched_stop_ = *earliest_stop;
    result.text = pending_.substr(0, earliest);
    result.stopped = true;
    pending_.clear();
    return result;
  }
  const std::size_t held = held_suffix_length();
  result.text = pending_.substr(0, pending_.size() - held);
  pending_.erase(0, pending_.size() - held);
  return result;
}

std::size_t StopMatcher::held_suffix_length() const {
  // The longest suffix of pending_ that is a proper prefix of some stop string.
  std::size_t longest = 0;
  for (const std::string& stop : stop_strings_) {
    const std::size_t max_length = std::min(stop.size() - 1, pending_.size());
    for (std::size_t length = max_length; length > longest; --length) {
      if (pending_.compare(pending_.size() - length, length, stop, 0, length) == 0) {
        longest = length;
        break;
      }
    }
  }
  return longest;
}

std::string StopMatcher::flush() {
  std::string text;
  text.swap(pending_);
  return text;
}

void StopMatcher::reset() {
  pending_.clear();
  stopped_ = false;
  matched_stop_.clear();
}

}  // namespace r1
