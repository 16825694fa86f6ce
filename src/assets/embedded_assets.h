// Files the program carries inside itself, so it needs nothing from the source tree at run time:
// the published config.json, generation_config.json, tokenizer.json and tokenizer_config.json of
// DeepSeek-R1-Distill-Qwen-1.5B (assets/models/deepseek-r1-distill-qwen-1.5b).
#pragma once

#include <string_view>
#include <vector>

namespace r1::assets {

/// Contents of one of the model's files by name ("tokenizer.json", ...); empty when unknown.
std::string_view deepseek_file(std::string_view file_name);

/// The names deepseek_file() knows.
const std::vector<std::string_view>& deepseek_file_names();

}  // namespace r1::assets
