// The global functions of transformers' chat template environment: range, dict, namespace,
// raise_exception and strftime_now.
#pragma once

#include <string>
#include <unordered_map>

#include "template/value.h"

namespace r1::tmpl {

/// Adds the globals to a variable table.
void add_globals(std::unordered_map<std::string, Value>& variables);

}  // namespace r1::tmpl
