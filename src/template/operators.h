// Python semantics of Jinja operators: arithmetic, comparison, membership, len(), iteration.
#pragma once

#include <string>

#include "template/ast.h"
#include "template/value.h"

namespace r1::tmpl {

class Interpreter;

/// Python's type name of a value ("int", "str", "list", "NoneType"...), used in error messages.
std::string python_type_name(const Value& value);

/// Throws jinja2's UndefinedError for using an undefined value.
[[noreturn]] void fail_undefined(const Value& value);

/// a <op> b with Python semantics (int overflow is an error, strings and lists repeat/concatenate
/// within the value size limit).
Value binary_operation(Interpreter& interp, BinaryOp op, const Value& a, const Value& b);
/// Python ==.
bool python_equal(const Value& a, const Value& b);
/// Python a < b; throws Error(template_error) for unorderable types.
bool python_less(const Value& a, const Value& b);
/// Python ordering compare operator (lt, le, gt, ge).
bool python_compare(CompareOp op, const Value& a, const Value& b);
/// Python `item in container`.
bool python_contains(const Value& container, const Value& item);
/// Python len(); undefined has length 0.
std::size_t python_len(const Value& value);
/// The items iterating the value yields (dict: keys, string: characters, undefined: none).
ValueList iterate(Interpreter& interp, const Value& value);

}  // namespace r1::tmpl
