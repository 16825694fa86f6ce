// Python's text forms of values: str(), repr() (as jinja2 prints them) and json.dumps (as
// transformers' tojson filter writes them).
#pragma once

#include <optional>
#include <string>

#include "template/value.h"

namespace r1::tmpl {

/// Python repr() of a float: the shortest text that reads back the same double ("0.1", "1e-05",
/// "1.0", "inf").
std::string float_repr(double value);

/// Python str(value) as jinja2 prints it ({{ value }}); undefined prints as "".
std::string python_str(const Value& value);

/// Python repr(value) (strings quoted, as inside printed lists and dicts).
std::string python_repr(const Value& value);

/// Options of json.dumps that transformers' tojson filter exposes.
struct JsonDumpOptions {
  std::optional<std::string> indent;  // None, or the text of one indentation level
  std::string item_separator = ", ";
  std::string key_separator = ": ";
  bool sort_keys = false;
  bool ensure_ascii = false;
};

/// json.dumps(value, ...). Throws Error(template_error) for values JSON cannot hold.
std::string json_dumps(const Value& value, const JsonDumpOptions& options);

}  // namespace r1::tmpl
