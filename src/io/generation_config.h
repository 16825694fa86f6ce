// The sampling defaults in a Hugging Face generation_config.json.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace r1::io {

/// generation_config.json's fields; each is absent when the file does not set it (or sets null).
struct GenerationConfig {
  std::optional<std::int64_t> bos_token_id;
  std::vector<std::int64_t> eos_token_ids;  // int or list in the file; empty when absent
  std::optional<double> temperature;
  std::optional<double> top_p;
  std::optional<std::int64_t> top_k;
  std::optional<double> repetition_penalty;
  std::optional<bool> do_sample;
  std::optional<std::int64_t> max_new_tokens;
  std::optional<std::int64_t> max_length;
};

/// Parses generation_config.json text; unknown fields are ignored. Throws Error(invalid_file)
/// naming `origin`, the field and the value when a field has the wrong type or an impossible value.
GenerationConfig parse_generation_config(std::string_view json_text, const std::string& origin);

}  // namespace r1::io
