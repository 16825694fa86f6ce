#include "io/generation_config.h"

#include <nlohmann/json.hpp>

#include "io/json_fields.h"

namespace r1::io {

namespace jf = json_fields;

GenerationConfig parse_generation_config(std::string_view json_text, const std::string& origin) {
  const nlohmann::json config = jf::parse_object(json_text, origin);
  GenerationConfig generation;
  const std::vector<std::int64_t> bos = jf::get_token_ids(config, "bos_token_id", origin);
  if (bos.size() > 1) {
    jf::fail(origin, "bos_token_id", "must be one token id", config.at("bos_token_id"));
  }
  if (!bos.empty()) generation.bos_token_id = bos.front();
  generation.eos_token_ids = jf::get_token_ids(config, "eos_token_id", origin);

  generation.temperature = jf::get_number(config, "temperature", origin);
  if (generation.temperature && *generation.temperature < 0) {
    jf::fail(origin, "temperature", "must not be negative", *generation.temperature);
  }
  generation.top_p = jf::get_number(config, "top_p", origin);
  if (generation.top_p && (*generation.top_p <= 0 || *generation.top_p > 1)) {
    jf::fail(origin, "top_p", "must be in (0, 1]", *generation.top_p);
  }
  generation.top_k = jf::get_int(config, "top_k", origin);
  if (generation.top_k && *generation.top_k < 0) {
    jf::fail(origin, "top_k", "must not be negative", *generation.top_k);
  }
  generation.repetition_penalty = jf::get_number(config, "repetition_penalty", origin);
  if (generation.repetition_penalty && *generation.repetition_penalty <= 0) {
    jf::fail(origin, "repetition_penalty", "must be positive", *generation.repetition_penalty);
  }
  generation.do_sample = jf::get_bool(config, "do_sample", origin);
  generation.max_new_tokens = jf::get_int(config, "max_new_tokens", origin);
  if (generation.max_new_tokens && *generation.max_new_tokens <= 0) {
    jf::fail(origin, "max_new_tokens", "must be positive", *generation.max_new_tokens);
  }
  generation.max_length = jf::get_int(config, "max_length", origin);
  if (generation.max_length && *generation.max_length <= 0) {
    jf::fail(origin, "max_length", "must be positive", *generation.max_length);
  }
  return generation;
}

}  // namespace r1::io
