// Typed reads of optional fields from Hugging Face JSON configs, with errors that name the file and
// the field. Shared by the config.json and generation_config.json parsers.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace r1::io::json_fields {

/// Parses text that must be a JSON object; Error(invalid_file) otherwise.
nlohmann::json parse_object(std::string_view text, const std::string& origin);

/// Throws Error(invalid_file): "<origin>: field '<field>' <what> (got <value>)".
[[noreturn]] void fail(const std::string& origin, const std::string& field, const std::string& what,
                       const nlohmann::json& value);

/// The field when present and not null, else nullopt; wrong types throw. Integers reject floats.
std::optional<std::int64_t> get_int(const nlohmann::json& object, const std::string& field,
                                    const std::string& origin);
std::optional<double> get_number(const nlohmann::json& object, const std::string& field,
                                 const std::string& origin);
std::optional<bool> get_bool(const nlohmann::json& object, const std::string& field,
                             const std::string& origin);
std::optional<std::string> get_string(const nlohmann::json& object, const std::string& field,
                                      const std::string& origin);

/// A token id field that may be an int or a list of ints (empty when absent or null). Ids must be
/// non-negative.
std::vector<std::int64_t> get_token_ids(const nlohmann::json& object, const std::string& field,
                                        const std::string& origin);

}  // namespace r1::io::json_fields
