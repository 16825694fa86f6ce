// jinja2's tests ("x is defined", "n is divisibleby 3"...).
#include <cmath>
#include <unordered_map>

#include "template/builtins.h"
#include "template/errors.h"
#include "template/interpreter.h"
#include "template/operators.h"
#include "template/python_format.h"
#include "template/unicode_text.h"

namespace r1::tmpl {
namespace {

using Test = bool (*)(Interpreter&, const Value&, CallArgs&);

const Value& other_arg(const CallArgs& args, const char* test) {
  const Value* v = find_arg(args, 0, "other");
  if (!v) fail(std::string("test '") + test + "' needs an argument");
  return *v;
}

std::int64_t integral(const Value& v, const char* test) {
  if (v.is_int() || v.is_bool()) return v.as_int();
  if (v.is_undefined()) fail_undefined(v);
  fail(std::string("test '") + test + "' needs an integer, got " + python_type_name(v));
}

bool t_defined(Interpreter&, const Value& v, CallArgs&) {
  return !v.is_undefined();
}
bool t_undefined(Interpreter&, const Value& v, CallArgs&) {
  return v.is_undefined();
}
bool t_none(Interpreter&, const Value& v, CallArgs&) {
  return v.is_none();
}
bool t_boolean(Interpreter&, const Value& v, CallArgs&) {
  return v.is_bool();
}
bool t_false(Interpreter&, const Value& v, CallArgs&) {
  return v.is_bool() && !v.as_bool();
}
bool t_true(Interpreter&, const Value& v, CallArgs&) {
  return v.is_bool() && v.as_bool();
}
bool t_integer(Interpreter&, const Value& v, CallArgs&) {
  return v.is_int();
}
bool t_float(Interpreter&, const Value& v, CallArgs&) {
  return v.is_float();
}
bool t_number(Interpreter&, const Value& v, CallArgs&) {
  return v.is_number();
}
bool t_string(Interpreter&, const Value& v, CallArgs&) {
  return v.is_string();
}
bool t_mapping(Interpreter&, const Value& v, CallArgs&) {
  return v.is_dict();
}
bool t_iterable(Interpreter&, const Value& v, CallArgs&) {
  return v.is_string() || v.is_list() || v.is_dict() || v.is_undefined();
}
bool t_sequence(Interpreter&, const Value& v, CallArgs&) {
  return v.is_string() || v.is_list() || v.is_dict() || v.is_undefined();
}
// Undefined defines __call__ (it raises), so Python's callable() holds for it.
bool t_callable(Interpreter&, const Value& v, CallArgs&) {
  return v.is_callable() || v.is_undefined();
}
// jinja2 computes value % 2, which floats support too.
bool t_even(Interpreter&, const Value& v, CallArgs&) {
  if (v.is_float()) return std::fmod(v.as_double(), 2.0) == 0.0;
  return integral(v, "even") % 2 == 0;
}
bool t_odd(Interpreter&, const Value& v, CallArgs&) {
  if (v.is_float()) return std::fabs(std::fmod(v.as_double(), 2.0)) == 1.0;
  return integral(v, "odd") % 2 != 0;
}
bool t_divisibleby(Interpreter&, const Value& v, CallArgs& args) {
  const Value* n = find_arg(args, 0, "num");
  if (!n) fail("test 'divisibleby' needs an argument");
  if (v.is_float() || n->is_float()) {
    if (n->as_double() == 0) fail("float modulo");
    return std::fmod(v.as_double(), n->as_double()) == 0;
  }
  std::int64_t d = integral(*n, "divisibleby");
  if (d == 0) fail("integer division or modulo by zero");
  if (d == -1) return true;
  return integral(v, "divisibleby") % d == 0;
}
bool t_eq(Interpreter&, const Value& v, CallArgs& a) {
  return python_equal(v, other_arg(a, "eq"));
}
bool t_ne(Interpreter&, const Value& v, CallArgs& a) {
  return !python_equal(v, other_arg(a, "ne"));
}
bool t_lt(Interpreter&, const Value& v, CallArgs& a) {
  return python_compare(CompareOp::lt, v, other_arg(a, "lt"));
}
bool t_le(Interpreter&, const Value& v, CallArgs& a) {
  return python_compare(CompareOp::le, v, other_arg(a, "le"));
}
bool t_gt(Interpreter&, const Value& v, CallArgs& a) {
  return python_compare(CompareOp::gt, v, other_arg(a, "gt"));
}
bool t_ge(Interpreter&, const Value& v, CallArgs& a) {
  return python_compare(CompareOp::ge, v, other_arg(a, "ge"));
}
bool t_in(Interpreter&, const Value& v, CallArgs& args) {
  const Value* seq = find_arg(args, 0, "seq");
  if (!seq) fail("test 'in' needs an argument");
  return python_contains(*seq, v);
}
bool t_sameas(Interpreter&, const Value& v, CallArgs& a) {
  const Value& other = other_arg(a, "sameas");
  if (v.kind() != other.kind()) return false;
  switch (v.kind()) {
    case ValueKind::none:
      return true;
    case ValueKind::boolean:
      return v.as_bool() == other.as_bool();
    case ValueKind::integer:
      // CPython caches small ints, so `1 is 1` holds.
      return v.as_int() == other.as_int() && v.as_int() >= -5 && v.as_int() <= 256;
    case ValueKind::string:
      return &v.as_string() == &other.as_string();
    case ValueKind::list:
      return &v.as_list() == &other.as_list();
    case ValueKind::dict:
      return &v.as_dict() == &other.as_dict();
    default:
      return python_equal(v, other);
  }
}
bool t_lower(Interpreter&, const Value& v, CallArgs&) {
  std::string s = python_str(v);
  bool cased = false;
  for (char32_t c : decode_utf8(s)) {
    if (py_isupper(c)) return false;
    if (py_islower(c)) cased = true;
  }
  return cased;
}
bool t_upper(Interpreter&, const Value& v, CallArgs&) {
  std::string s = python_str(v);
  bool cased = false;
  for (char32_t c : decode_utf8(s)) {
    if (py_islower(c)) return false;
    if (py_isupper(c)) cased = true;
  }
  return cased;
}
bool t_escaped(Interpreter&, const Value&, CallArgs&) {
  return false;
}
bool t_filter(Interpreter&, const Value& v, CallArgs&) {
  return v.is_string() && is_known_filter(v.as_string());
}
bool t_test(Interpreter&, const Value& v, CallArgs&) {
  return v.is_string() && is_known_test(v.as_string());
}

const std::unordered_map<std::string_view, Test>& test_table() {
  static const std::unordered_map<std::string_view, Test> table = {
      {"defined", t_defined},
      {"undefined", t_undefined},
      {"none", t_none},
      {"boolean", t_boolean},
      {"false", t_false},
      {"true", t_true},
      {"integer", t_integer},
      {"float", t_float},
      {"number", t_number},
      {"string", t_string},
      {"mapping", t_mapping},
      {"iterable", t_iterable},
      {"sequence", t_sequence},
      {"callable", t_callable},
      {"even", t_even},
      {"odd", t_odd},
      {"divisibleby", t_divisibleby},
      {"eq", t_eq},
      {"equalto", t_eq},
      {"==", t_eq},
      {"ne", t_ne},
      {"!=", t_ne},
      {"lt", t_lt},
      {"lessthan", t_lt},
      {"<", t_lt},
      {"le", t_le},
      {"<=", t_le},
      {"gt", t_gt},
      {"greaterthan", t_gt},
      {">", t_gt},
      {"ge", t_ge},
      {">=", t_ge},
      {"in", t_in},
      {"sameas", t_sameas},
      {"lower", t_lower},
      {"upper", t_upper},
      {"escaped", t_escaped},
      {"filter", t_filter},
      {"test", t_test},
  };
  return table;
}

}  // namespace

bool is_known_test(std::string_view name) {
  return test_table().count(name) != 0;
}

bool apply_test(Interpreter& interp, const std::string& name, const Value& input, CallArgs& args) {
  auto it = test_table().find(name);
  if (it == test_table().end()) fail("no test named '" + name + "'");
  return it->second(interp, input, args);
}

}  // namespace r1::tmpl
