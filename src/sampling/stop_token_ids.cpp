// End-of-sequence ids from generation_config.json / config.json.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

#include "r1/error.h"
#include "r1/sampler.h"

namespace r1 {
namespace {

[[noreturn]] void reject(std::string_view where, const std::string& what) {
  throw Error(ErrorCode::invalid_file,
              std::string(where) + ": eos_token_id " + what +
                  "; it must be a non-negative integer or a list of them (fix the file)");
}

TokenId read_one_id(const nlohmann::json& value, std::string_view where) {
  if (!value.is_number_integer()) reject(where, "holds " + value.dump());
  const auto id = value.get<std::int64_t>();
  if (id < 0 || id > std::numeric_limits<TokenId>::max()) reject(where, "holds " + value.dump());
  return static_cast<TokenId>(id);
}

}  // namespace

StopTokenIds::StopTokenIds(std::vector<TokenId> ids) : ids_(std::move(ids)) {
  std::sort(ids_.begin(), ids_.end());
  ids_.erase(std::unique(ids_.begin(), ids_.end()), ids_.end());
}

bool StopTokenIds::contains(TokenId id) const {
  return std::binary_search(ids_.begin(), ids_.end(), id);
}

std::optional<std::vector<TokenId>> read_eos_token_ids(std::string_view json_text,
                                                       std::string_view where) {
  const nlohmann::json document = nlohmann::json::parse(json_text, nullptr, false);
  if (document.is_discarded()) {
    throw Error(ErrorCode::invalid_file,
                std::string(where) + " is not valid JSON; restore the file from the model's repo");
  }
  if (!document.is_object()) return std::nullopt;
  const auto field = document.find("eos_token_id");
  if (field == document.end() || field->is_null()) return std::nullopt;
  std::vector<TokenId> ids;
  if (field->is_array()) {
    for (const auto& item : *field) ids.push_back(read_one_id(item, where));
  } else {
    ids.push_back(read_one_id(*field, where));
  }
  return ids;
}

StopTokenIds choose_stop_token_ids(const std::optional<std::vector<TokenId>>& generation_config_eos,
                                   const std::optional<std::vector<TokenId>>& config_eos) {
  if (generation_config_eos) return StopTokenIds(*generation_config_eos);
  if (config_eos) return StopTokenIds(*config_eos);
  return StopTokenIds();
}

}  // namespace r1
