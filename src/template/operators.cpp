#include "template/operators.h"

#include <cmath>

#include "template/builtins.h"
#include "template/errors.h"
#include "template/interpreter.h"
#include "template/python_format.h"
#include "template/unicode_text.h"

namespace r1::tmpl {
namespace {

[[noreturn]] void unsupported_operands(const char* op, const Value& a, const Value& b) {
  fail(std::string("unsupported operand type(s) for ") + op + ": '" + python_type_name(a) +
       "' and '" + python_type_name(b) + "'");
}

[[noreturn]] void overflow() {
  fail_limit("integer overflow (the sandbox supports 64-bit integers)");
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  if (a == INT64_MIN && b == -1) overflow();
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

std::int64_t floor_mod(std::int64_t a, std::int64_t b) {
  if (b == -1) return 0;
  std::int64_t r = a % b;
  if (r != 0 && ((r < 0) != (b < 0))) r += b;
  return r;
}

double float_mod(double a, double b) {
  double r = std::fmod(a, b);
  if (r != 0 && ((r < 0) != (b < 0))) r += b;
  if (r == 0) r = std::copysign(0.0, b);
  return r;
}

Value repeat(Interpreter& interp, const Value& seq, std::int64_t times) {
  if (times <= 0) return seq.is_string() ? Value::string("") : Value::list({}, seq.is_tuple());
  auto n = static_cast<std::uint64_t>(times);
  if (seq.is_string()) {
    const std::string& s = seq.as_string();
    std::uint64_t bytes;
    if (__builtin_mul_overflow(static_cast<std::uint64_t>(s.size()), n, &bytes) ||
        bytes > interp.limits().max_value_bytes) {
      fail_limit("repeating a string of " + std::to_string(s.size()) + " bytes " +
                 std::to_string(n) + " times exceeds max_value_bytes (" +
                 std::to_string(interp.limits().max_value_bytes) + ")");
    }
    interp.charge_string(static_cast<std::size_t>(bytes));
    std::string out;
    out.reserve(s.size() * n);
    for (std::uint64_t i = 0; i < n; ++i) out += s;
    return Value::string(std::move(out));
  }
  const ValueList& items = seq.as_list();
  std::uint64_t count;
  if (__builtin_mul_overflow(static_cast<std::uint64_t>(items.size()), n, &count) ||
      count > interp.limits().max_value_bytes / sizeof(Value)) {
    fail_limit("repeating a list of " + std::to_string(items.size()) + " items " +
               std::to_string(n) + " times exceeds max_value_bytes (" +
               std::to_string(interp.limits().max_value_bytes) + ")");
  }
  interp.charge_list(static_cast<std::size_t>(count));
  ValueList out;
  out.reserve(items.size() * n);
  for (std::uint64_t i = 0; i < n; ++i) out.insert(out.end(), items.begin(), items.end());
  return Value::list(std::move(out), seq.is_tuple());
}

bool is_integral(const Value& v) {
  return v.is_int() || v.is_bool();
}

Value int_pow(std::int64_t base, std::int64_t exponent) {
  if (exponent < 0)
    return Value::floating(std::pow(static_cast<double>(base), static_cast<double>(exponent)));
  std::int64_t result = 1;
  std::int64_t b = base;
  while (exponent > 0) {
    if (exponent & 1) {
      if (__builtin_mul_overflow(result, b, &result)) overflow();
    }
    exponent >>= 1;
    if (exponent > 0 && __builtin_mul_overflow(b, b, &b)) overflow();
  }
  return Value::integer(result);
}

int compare_lists(const ValueList& a, const ValueList& b) {
  std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (python_equal(a[i], b[i])) continue;
    return python_less(a[i], b[i]) ? -1 : 1;
  }
  return a.size() < b.size() ? -1 : a.size() > b.size() ? 1 : 0;
}

}  // namespace

std::string python_type_name(const Value& value) {
  switch (value.kind()) {
    case ValueKind::undefined:
      return "Undefined";
    case ValueKind::none:
      return "NoneType";
    case ValueKind::boolean:
      return "bool";
    case ValueKind::integer:
      return "int";
    case ValueKind::floating:
      return "float";
    case ValueKind::string:
      return "str";
    case ValueKind::list:
      return value.is_tuple() ? "tuple" : "list";
    case ValueKind::dict:
      return "dict";
    case ValueKind::name_space:
      return "Namespace";
    case ValueKind::callable:
      return value.as_callable().is_macro ? "Macro" : "function";
    case ValueKind::loop:
      return "LoopContext";
  }
  return "object";
}

void fail_undefined(const Value& value) {
  if (value.undefined_unsafe()) fail(value.undefined_hint());
  fail(value.undefined_hint().empty() ? std::string("value is undefined") : value.undefined_hint());
}

Value binary_operation(Interpreter& interp, BinaryOp op, const Value& a, const Value& b) {
  if (a.is_undefined()) fail_undefined(a);
  if (b.is_undefined()) fail_undefined(b);
  bool both_int = is_integral(a) && is_integral(b);
  bool both_number = a.is_number() && b.is_number();
  switch (op) {
    case BinaryOp::add:
      if (both_int) {
        std::int64_t r;
        if (__builtin_add_overflow(a.as_int(), b.as_int(), &r)) overflow();
        return Value::integer(r);
      }
      if (both_number) return Value::floating(a.as_double() + b.as_double());
      if (a.is_string() && b.is_string()) {
        interp.charge_string(a.as_string().size() + b.as_string().size());
        return Value::string(a.as_string() + b.as_string());
      }
      if (a.is_list() && b.is_list() && a.is_tuple() == b.is_tuple()) {
        interp.charge_list(a.as_list().size() + b.as_list().size());
        ValueList items = a.as_list();
        items.insert(items.end(), b.as_list().begin(), b.as_list().end());
        return Value::list(std::move(items), a.is_tuple());
      }
      if (a.is_string() || a.is_list()) {
        fail("can only concatenate " + python_type_name(a) + " (not \"" + python_type_name(b) +
             "\") to " + python_type_name(a));
      }
      unsupported_operands("+", a, b);
    case BinaryOp::sub:
      if (both_int) {
        std::int64_t r;
        if (__builtin_sub_overflow(a.as_int(), b.as_int(), &r)) overflow();
        return Value::integer(r);
      }
      if (both_number) return Value::floating(a.as_double() - b.as_double());
      unsupported_operands("-", a, b);
    case BinaryOp::mul:
      if (both_int) {
        std::int64_t r;
        if (__builtin_mul_overflow(a.as_int(), b.as_int(), &r)) overflow();
        return Value::integer(r);
      }
      if (both_number) return Value::floating(a.as_double() * b.as_double());
      if ((a.is_string() || a.is_list()) && is_integral(b)) return repeat(interp, a, b.as_int());
      if ((b.is_string() || b.is_list()) && is_integral(a)) return repeat(interp, b, a.as_int());
      if (a.is_string() || a.is_list() || b.is_string() || b.is_list()) {
        const Value& other = (a.is_string() || a.is_list()) ? b : a;
        fail("can't multiply sequence by non-int of type '" + python_type_name(other) + "'");
      }
      unsupported_operands("*", a, b);
    case BinaryOp::div:
      if (both_number) {
        if (b.as_double() == 0.0) fail("division by zero");
        return Value::floating(a.as_double() / b.as_double());
      }
      unsupported_operands("/", a, b);
    case BinaryOp::floordiv:
      if (both_int) {
        if (b.as_int() == 0) fail("integer division or modulo by zero");
        return Value::integer(floor_div(a.as_int(), b.as_int()));
      }
      if (both_number) {
        if (b.as_double() == 0.0) fail("float floor division by zero");
        return Value::floating(std::floor(a.as_double() / b.as_double()));
      }
      unsupported_operands("//", a, b);
    case BinaryOp::mod:
      if (both_int) {
        if (b.as_int() == 0) fail("integer division or modulo by zero");
        return Value::integer(floor_mod(a.as_int(), b.as_int()));
      }
      if (both_number) {
        if (b.as_double() == 0.0) fail("float modulo");
        return Value::floating(float_mod(a.as_double(), b.as_double()));
      }
      if (a.is_string()) {
        std::string out = python_percent_format(interp, a.as_string(), b);
        return Value::string(std::move(out));
      }
      unsupported_operands("%", a, b);
    case BinaryOp::pow:
      if (both_int) return int_pow(a.as_int(), b.as_int());
      if (both_number) {
        if (a.as_double() == 0.0 && b.as_double() < 0) {
          fail("0.0 cannot be raised to a negative power");
        }
        double r = std::pow(a.as_double(), b.as_double());
        if (std::isnan(r) && !std::isnan(a.as_double()) && !std::isnan(b.as_double())) {
          fail("complex results are not supported");
        }
        if (std::isinf(r) && std::isfinite(a.as_double()) && std::isfinite(b.as_double())) {
          fail("(34, 'Numerical result out of range')");
        }
        return Value::floating(r);
      }
      unsupported_operands("** or pow()", a, b);
  }
  fail("unknown operator");
}

bool python_equal(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (is_integral(a) && is_integral(b)) return a.as_int() == b.as_int();
    return a.as_double() == b.as_double();
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case ValueKind::undefined:
    case ValueKind::none:
      return true;
    case ValueKind::string:
      return a.as_string() == b.as_string();
    case ValueKind::list: {
      if (a.is_tuple() != b.is_tuple()) return false;
      const ValueList& x = a.as_list();
      const ValueList& y = b.as_list();
      if (x.size() != y.size()) return false;
      for (std::size_t i = 0; i < x.size(); ++i) {
        if (!python_equal(x[i], y[i])) return false;
      }
      return true;
    }
    case ValueKind::dict: {
      const Dict& x = a.as_dict();
      const Dict& y = b.as_dict();
      if (x.size() != y.size()) return false;
      for (const auto& [key, value] : x.items()) {
        const Value* other = y.find(key);
        if (!other || !python_equal(value, *other)) return false;
      }
      return true;
    }
    case ValueKind::name_space:
      return &a.as_namespace() == &b.as_namespace();
    case ValueKind::callable:
      return &a.as_callable() == &b.as_callable();
    case ValueKind::loop:
      return &a.as_loop() == &b.as_loop();
    default:
      return false;
  }
}

bool python_less(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (is_integral(a) && is_integral(b)) return a.as_int() < b.as_int();
    return a.as_double() < b.as_double();
  }
  if (a.is_string() && b.is_string()) return a.as_string() < b.as_string();
  if (a.is_list() && b.is_list() && a.is_tuple() == b.is_tuple()) {
    return compare_lists(a.as_list(), b.as_list()) < 0;
  }
  if (a.is_undefined()) fail_undefined(a);
  if (b.is_undefined()) fail_undefined(b);
  fail("'<' not supported between instances of '" + python_type_name(a) + "' and '" +
       python_type_name(b) + "'");
}

bool python_compare(CompareOp op, const Value& a, const Value& b) {
  auto unorderable = [&](const char* symbol) {
    if (a.is_undefined()) fail_undefined(a);
    if (b.is_undefined()) fail_undefined(b);
    fail(std::string("'") + symbol + "' not supported between instances of '" +
         python_type_name(a) + "' and '" + python_type_name(b) + "'");
  };
  bool orderable = (a.is_number() && b.is_number()) || (a.is_string() && b.is_string()) ||
                   (a.is_list() && b.is_list() && a.is_tuple() == b.is_tuple());
  switch (op) {
    case CompareOp::lt:
      if (!orderable) unorderable("<");
      return python_less(a, b);
    case CompareOp::le:
      if (!orderable) unorderable("<=");
      return !python_less(b, a);
    case CompareOp::gt:
      if (!orderable) unorderable(">");
      return python_less(b, a);
    case CompareOp::ge:
      if (!orderable) unorderable(">=");
      return !python_less(a, b);
    default:
      return false;
  }
}

bool python_contains(const Value& container, const Value& item) {
  switch (container.kind()) {
    case ValueKind::string:
      if (!item.is_string()) {
        if (item.is_undefined()) fail_undefined(item);
        fail("'in <string>' requires string as left operand, not " + python_type_name(item));
      }
      return container.as_string().find(item.as_string()) != std::string::npos;
    case ValueKind::list:
      for (const Value& v : container.as_list()) {
        if (python_equal(v, item)) return true;
      }
      return false;
    case ValueKind::dict:
      return container.as_dict().find(item) != nullptr;
    case ValueKind::undefined:
      return false;
    default:
      fail("argument of type '" + python_type_name(container) + "' is not iterable");
  }
}

std::size_t python_len(const Value& value) {
  switch (value.kind()) {
    case ValueKind::undefined:
      return 0;
    case ValueKind::string:
      return code_point_count(value.as_string());
    case ValueKind::list:
      return value.as_list().size();
    case ValueKind::dict:
      return value.as_dict().size();
    default:
      fail("object of type '" + python_type_name(value) + "' has no len()");
  }
}

ValueList iterate(Interpreter& interp, const Value& value) {
  if (value.is_list() || value.is_dict() || value.is_string())
    interp.charge_list(python_len(value));
  switch (value.kind()) {
    case ValueKind::undefined:
      return {};
    case ValueKind::list:
      return value.as_list();
    case ValueKind::dict: {
      ValueList keys;
      keys.reserve(value.as_dict().size());
      for (const auto& [key, item] : value.as_dict().items()) keys.push_back(key);
      return keys;
    }
    case ValueKind::string: {
      ValueList chars;
      const std::string& s = value.as_string();
      for (std::size_t i = 0; i < s.size();) {
        std::size_t len = 1;
        while (i + len < s.size() && (static_cast<unsigned char>(s[i + len]) & 0xC0) == 0x80) ++len;
        chars.push_back(Value::string(s.substr(i, len)));
        i += len;
      }
      return chars;
    }
    default:
      fail("'" + python_type_name(value) + "' object is not iterable");
  }
}

}  // namespace r1::tmpl
