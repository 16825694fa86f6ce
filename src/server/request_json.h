// Reading an API request body: the JSON parse (with errors that say where and why) and typed
// reads of its fields that throw ApiError 400 naming the field, in OpenAI's style. A field that is
// absent or JSON null reads as "not given" (OpenAI's optional fields all accept null).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace r1::server {

using Json = nlohmann::ordered_json;

/// Parses `body` as a JSON object. ApiError 400 (param null) when it is not valid UTF-8, not
/// JSON (message has the parser's byte position), nested deeper than `max_depth`, or not an
/// object.
Json parse_request_body(std::string_view body, std::size_t max_depth);

/// The JSON type name used in error messages ("a string", "an integer", ...).
std::string json_type_name(const Json& value);

/// The field's value, or nullptr when absent or null.
const Json* find_field(const Json& object, std::string_view key);

std::optional<bool> read_bool(const Json& object, std::string_view key, const std::string& param);
/// A JSON number (integer or float), checked finite.
std::optional<double> read_number(const Json& object, std::string_view key,
                                  const std::string& param);
/// A JSON integer (a float with an integral value such as 5.0 is accepted, as pydantic does).
std::optional<std::int64_t> read_integer(const Json& object, std::string_view key,
                                         const std::string& param);
std::optional<std::string> read_string(const Json& object, std::string_view key,
                                       const std::string& param);

/// "messages[2].content": the param name of an element's field.
std::string param_path(std::string_view parent, std::size_t index, std::string_view field = {});

}  // namespace r1::server
