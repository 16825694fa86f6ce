// Typed access to fields of tokenizer.json component specs, with errors that name the JSON path.
// Used by the loader and by every component factory (normalizers, pre-tokenizers,
// post-processors, decoders).
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace r1::tok::fields {

/// Throws Error(invalid_file): "<path>: <what>".
[[noreturn]] void fail(const std::string& path, const std::string& what);

/// Throws Error(unsupported): `<path>.type "<type>" is not supported (<supported>)`.
[[noreturn]] void unsupported_type(const std::string& path, const std::string& type,
                                   const std::string& supported);

/// The "type" string of a component object (invalid_file when missing or not a string).
std::string type_of(const nlohmann::json& spec, const std::string& path);

/// Member `key` of object `obj`; invalid_file naming `path.key` when missing.
const nlohmann::json& require(const nlohmann::json& obj, const char* key, const std::string& path);

/// Optional typed members: the default when missing or null; invalid_file on a wrong type.
std::string string_or(const nlohmann::json& obj, const char* key, const std::string& path,
                      const std::string& fallback);
bool bool_or(const nlohmann::json& obj, const char* key, const std::string& path, bool fallback);
std::int64_t int_or(const nlohmann::json& obj, const char* key, const std::string& path,
                    std::int64_t fallback);

/// Required typed members.
std::string require_string(const nlohmann::json& obj, const char* key, const std::string& path);
std::int64_t require_int(const nlohmann::json& obj, const char* key, const std::string& path);

/// "<path>.<key>" (or just key when path is empty).
std::string member_path(const std::string& path, const std::string& key);
/// "<path>[<index>]".
std::string index_path(const std::string& path, std::size_t index);

}  // namespace r1::tok::fields
