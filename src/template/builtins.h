// The built-in library of the sandbox: filters, tests, attribute access (dict/list/str methods,
// loop and namespace attributes) and the helpers they share with the interpreter.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include "template/value.h"

namespace r1::tmpl {

class Interpreter;

/// True for the filters this sandbox implements (unknown filters are a parse error).
bool is_known_filter(std::string_view name);
/// True for the tests this sandbox implements.
bool is_known_test(std::string_view name);

/// Applies filter `name` to `input` (jinja2 semantics).
Value apply_filter(Interpreter& interp, const std::string& name, const Value& input,
                   CallArgs& args);
/// Applies test `name` to `input`.
bool apply_test(Interpreter& interp, const std::string& name, const Value& input, CallArgs& args);

/// obj.name as jinja2's sandboxed getattr: methods of str/dict/list, then dict keys; refused
/// mutating methods (list.append, dict.update...) give an "unsafe" undefined.
Value get_attribute(Interpreter& interp, const Value& obj, const std::string& name);
/// obj[key] as jinja2's getitem: item first, then attribute for string keys.
Value get_item(Interpreter& interp, const Value& obj, const Value& key);
/// obj[start:stop:step] for lists, tuples and strings.
Value get_slice(Interpreter& interp, const Value& obj, const Value& start, const Value& stop,
                const Value& step);

/// A bound method of a string (s.split, s.strip...), or undefined when str has none by that name.
Value string_method(Interpreter& interp, const Value& receiver, const std::string& name);

/// Python's str.format(*args, **kwargs) (format specs for str, int and float).
std::string python_str_format(Interpreter& interp, const std::string& format, const CallArgs& args);
/// Python's "format % args" (the `format` filter).
std::string python_percent_format(Interpreter& interp, const std::string& format,
                                  const Value& args);

}  // namespace r1::tmpl

namespace r1::tmpl {

/// Argument `index` (positional) or `name` (keyword) of a call, or null when not given.
const Value* find_arg(const CallArgs& args, std::size_t index, const char* name);
/// Fails like Python when a call has more positional arguments than `names` or an unknown
/// keyword.
void check_args(const CallArgs& args, const std::string& function,
                std::initializer_list<const char*> names);
/// Makes a callable bound to a receiver (a method value such as "abc".split).
Value make_method(const std::string& name, Value receiver,
                  Value (*body)(Interpreter&, const Value&, CallArgs&));

}  // namespace r1::tmpl
