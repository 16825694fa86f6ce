#include "io/json_fields.h"

#include <cmath>
#include <limits>

#include "r1/error.h"

namespace r1::io::json_fields {

using nlohmann::json;

json parse_object(std::string_view text, const std::string& origin) {
  json value;
  try {
    value = json::parse(text);
  } catch (const json::exception& error) {
    throw Error(ErrorCode::invalid_file,
                origin + ": not valid JSON: " + error.what() + " (download the file again)");
  }
  if (!value.is_object()) {
    throw Error(ErrorCode::invalid_file,
                origin + ": expected a JSON object, got " + std::string(value.type_name()));
  }
  return value;
}

void fail(const std::string& origin, const std::string& field, const std::string& what,
          const json& value) {
  throw Error(ErrorCode::invalid_file,
              origin + ": field '" + field + "' " + what + " (got " + value.dump() + ")");
}

namespace {

const json* present(const json& object, const std::string& field) {
  const auto it = object.find(field);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

std::optional<std::int64_t> as_int(const json& value) {
  if (value.is_number_unsigned()) {
    const auto u = value.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return std::nullopt;
    }
    return static_cast<std::int64_t>(u);
  }
  if (value.is_number_integer()) return value.get<std::int64_t>();
  return std::nullopt;
}

}  // namespace

std::optional<std::int64_t> get_int(const json& object, const std::string& field,
                                    const std::string& origin) {
  const json* value = present(object, field);
  if (value == nullptr) return std::nullopt;
  const auto number = as_int(*value);
  if (!number) fail(origin, field, "must be an integer", *value);
  return number;
}

std::optional<double> get_number(const json& object, const std::string& field,
                                 const std::string& origin) {
  const json* value = present(object, field);
  if (value == nullptr) return std::nullopt;
  if (!value->is_number()) fail(origin, field, "must be a number", *value);
  const double number = value->get<double>();
  if (!std::isfinite(number)) fail(origin, field, "must be finite", *value);
  return number;
}

std::optional<bool> get_bool(const json& object, const std::string& field,
                             const std::string& origin) {
  const json* value = present(object, field);
  if (value == nullptr) return std::nullopt;
  if (!value->is_boolean()) fail(origin, field, "must be true or false", *value);
  return value->get<bool>();
}

std::optional<std::string> get_string(const json& object, const std::string& field,
                                      const std::string& origin) {
  const json* value = present(object, field);
  if (value == nullptr) return std::nullopt;
  if (!value->is_string()) fail(origin, field, "must be a string", *value);
  return value->get<std::string>();
}

std::vector<std::int64_t> get_token_ids(const json& object, const std::string& field,
                                        const std::string& origin) {
  const json* value = present(object, field);
  if (value == nullptr) return {};
  std::vector<std::int64_t> ids;
  if (value->is_array()) {
    for (const json& element : *value) {
      const auto id = as_int(element);
      if (!id || *id < 0) fail(origin, field, "must list non-negative integer token ids", *value);
      ids.push_back(*id);
    }
    return ids;
  }
  const auto id = as_int(*value);
  if (!id || *id < 0) {
    fail(origin, field, "must be a non-negative token id or a list of them", *value);
  }
  ids.push_back(*id);
  return ids;
}

}  // namespace r1::io::json_fields
