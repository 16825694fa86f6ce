// Whether generation starts inside the thinking block: the DeepSeek-R1 chat template ends the
// prompt by opening it ("<think>\n"), so the model's first tokens are reasoning. Used by the
// server (reasoning_content from the first token) and by `r1 run`'s display.
#pragma once

#include <string_view>

namespace r1::engine {

inline bool prompt_opens_thinking(std::string_view prompt, std::string_view open_tag = "<think>") {
  while (!prompt.empty() && (prompt.back() == '\n' || prompt.back() == ' ')) prompt.remove_suffix(1);
  return prompt.ends_with(open_tag);
}

}  // namespace r1::engine
