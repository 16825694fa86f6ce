#include "tokenizer/spec_fields.h"

#include "r1/error.h"

namespace r1::tok::fields {

void fail(const std::string& path, const std::string& what) {
  throw Error(ErrorCode::invalid_file, path + ": " + what);
}

void unsupported_type(const std::string& path, const std::string& type,
                      const std::string& supported) {
  throw Error(ErrorCode::unsupported, member_path(path, "type") + " \"" + type +
                                          "\" is not supported (supported: " + supported + ")");
}

std::string member_path(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

std::string index_path(const std::string& path, std::size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

std::string type_of(const nlohmann::json& spec, const std::string& path) {
  if (!spec.is_object()) fail(path, "expected an object, found " + std::string(spec.type_name()));
  return require_string(spec, "type", path);
}

const nlohmann::json& require(const nlohmann::json& obj, const char* key, const std::string& path) {
  if (!obj.is_object()) fail(path, "expected an object, found " + std::string(obj.type_name()));
  auto it = obj.find(key);
  if (it == obj.end()) fail(member_path(path, key), "missing required field");
  return *it;
}

std::string require_string(const nlohmann::json& obj, const char* key, const std::string& path) {
  const nlohmann::json& value = require(obj, key, path);
  if (!value.is_string()) {
    fail(member_path(path, key), "expected a string, found " + std::string(value.type_name()));
  }
  return value.get<std::string>();
}

std::int64_t require_int(const nlohmann::json& obj, const char* key, const std::string& path) {
  const nlohmann::json& value = require(obj, key, path);
  if (!value.is_number_integer()) {
    fail(member_path(path, key), "expected an integer, found " + std::string(value.type_name()));
  }
  return value.get<std::int64_t>();
}

namespace {
const nlohmann::json* find_present(const nlohmann::json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}
}  // namespace

std::string string_or(const nlohmann::json& obj, const char* key, const std::string& path,
                      const std::string& fallback) {
  const nlohmann::json* value = find_present(obj, key);
  if (!value) return fallback;
  if (!value->is_string()) {
    fail(member_path(path, key), "expected a string, found " + std::string(value->type_name()));
  }
  return value->get<std::string>();
}

bool bool_or(const nlohmann::json& obj, const char* key, const std::string& path, bool fallback) {
  const nlohmann::json* value = find_present(obj, key);
  if (!value) return fallback;
  if (!value->is_boolean()) {
    fail(member_path(path, key),
         "expected true or false, found " + std::string(value->type_name()));
  }
  return value->get<bool>();
}

std::int64_t int_or(const nlohmann::json& obj, const char* key, const std::string& path,
                    std::int64_t fallback) {
  const nlohmann::json* value = find_present(obj, key);
  if (!value) return fallback;
  if (!value->is_number_integer()) {
    fail(member_path(path, key), "expected an integer, found " + std::string(value->type_name()));
  }
  return value->get<std::int64_t>();
}

}  // namespace r1::tok::fields
