// Body parsing and typed field reads for the request parsers.
#include "server/request_json.h"

#include <cmath>
#include <limits>

#include "core/utf8.h"
#include "server/api_error.h"

namespace r1::server {

namespace {

// Byte offset where array/object nesting first goes deeper than max_depth (npos if never),
// counted over bytes outside strings. Done before
// the parse so a deeply nested body never reaches the recursive parts of nlohmann (dump, copy).
std::size_t find_too_deep(std::string_view text, std::size_t max_depth) {
  std::size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return i;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return std::string_view::npos;
}

[[noreturn]] void wrong_type(const std::string& param, const Json& value, const char* expected) {
  throw invalid_request("Invalid type for '" + param + "': expected " + expected + ", but got " +
                            json_type_name(value) + " instead.",
                        param, "invalid_type");
}

}  // namespace

Json parse_request_body(std::string_view body, std::size_t max_depth) {
  if (const auto bad = utf8::find_invalid(body)) {
    throw invalid_request("The request body is not valid UTF-8 JSON: invalid UTF-8 at byte " +
                          std::to_string(*bad) + ".");
  }
  if (const std::size_t at = find_too_deep(body, max_depth); at != std::string_view::npos) {
    throw invalid_request("The request body nests arrays/objects deeper than " +
                          std::to_string(max_depth) + " levels (at byte " + std::to_string(at) +
                          ").");
  }
  Json parsed;
  try {
    parsed = Json::parse(body.begin(), body.end());
  } catch (const nlohmann::json::parse_error& error) {
    // error.what() is "[json.exception.parse_error.101] parse error at line 1, column 5: ...";
    // keep the part after the bracketed id.
    std::string detail = error.what();
    if (const auto close = detail.find("] "); close != std::string::npos) {
      detail = detail.substr(close + 2);
    }
    throw invalid_request("We could not parse the JSON body of your request (byte " +
                          std::to_string(error.byte) + "): " + detail);
  } catch (const nlohmann::json::exception& error) {
    // out_of_range.406: a number too large for a double ("1E400").
    std::string detail = error.what();
    if (const auto close = detail.find("] "); close != std::string::npos) {
      detail = detail.substr(close + 2);
    }
    throw invalid_request("We could not parse the JSON body of your request: " + detail);
  }
  if (!parsed.is_object()) {
    throw invalid_request("The request body must be a JSON object, but got " +
                          json_type_name(parsed) + ".");
  }
  return parsed;
}

std::string json_type_name(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::boolean: return "a boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned: return "an integer";
    case Json::value_t::number_float: return "a number";
    case Json::value_t::string: return "a string";
    case Json::value_t::array: return "an array";
    case Json::value_t::object: return "an object";
    case Json::value_t::binary:
    case Json::value_t::discarded: break;
  }
  return "an unsupported value";
}

const Json* find_field(const Json& object, std::string_view key) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

std::optional<bool> read_bool(const Json& object, std::string_view key, const std::string& param) {
  const Json* value = find_field(object, key);
  if (value == nullptr) return std::nullopt;
  if (!value->is_boolean()) wrong_type(param, *value, "a boolean");
  return value->get<bool>();
}

std::optional<double> read_number(const Json& object, std::string_view key,
                                  const std::string& param) {
  const Json* value = find_field(object, key);
  if (value == nullptr) return std::nullopt;
  if (!value->is_number()) wrong_type(param, *value, "a number");
  const double number = value->get<double>();
  if (!std::isfinite(number)) {
    throw invalid_request("Invalid value for '" + param + "': the number is out of range.", param,
                          "invalid_value");
  }
  return number;
}

std::optional<std::int64_t> read_integer(const Json& object, std::string_view key,
                                         const std::string& param) {
  const Json* value = find_field(object, key);
  if (value == nullptr) return std::nullopt;
  if (value->is_number_unsigned()) {
    const auto u = value->get<std::uint64_t>();
    if (u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return static_cast<std::int64_t>(u);
    }
  } else if (value->is_number_integer()) {
    return value->get<std::int64_t>();
  } else if (value->is_number_float()) {
    const double d = value->get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15) {
      return static_cast<std::int64_t>(d);
    }
    wrong_type(param, *value, "an integer");
  } else {
    wrong_type(param, *value, "an integer");
  }
  throw invalid_request("Invalid value for '" + param + "': the integer is out of range.", param,
                        "invalid_value");
}

std::optional<std::string> read_string(const Json& object, std::string_view key,
                                       const std::string& param) {
  const Json* value = find_field(object, key);
  if (value == nullptr) return std::nullopt;
  if (!value->is_string()) wrong_type(param, *value, "a string");
  return value->get<std::string>();
}

std::string param_path(std::string_view parent, std::size_t index, std::string_view field) {
  std::string path = std::string(parent) + "[" + std::to_string(index) + "]";
  if (!field.empty()) {
    path += ".";
    path += field;
  }
  return path;
}

}  // namespace r1::server
