#include "template/globals.h"

#include <ctime>
#include <memory>

#include "template/errors.h"
#include "template/interpreter.h"
#include "template/operators.h"
#include "template/python_format.h"

namespace r1::tmpl {
namespace {

// jinja2's sandbox refuses ranges longer than this (MAX_RANGE).
constexpr std::int64_t kMaxRange = 100000;

Value make_function(const std::string& name, std::function<Value(Interpreter&, CallArgs&)> body) {
  auto fn = std::make_shared<Callable>();
  fn->name = name;
  fn->call = std::move(body);
  return Value::callable(std::move(fn));
}

std::int64_t int_arg(const Value& v, const char* what) {
  if (!(v.is_int() || v.is_bool())) {
    fail(std::string("'") + python_type_name(v) + "' object cannot be interpreted as an integer (" +
         what + ")");
  }
  return v.as_int();
}

Value range_function(Interpreter& interp, CallArgs& args) {
  if (!args.keyword.empty()) fail("range() takes no keyword arguments");
  std::int64_t start = 0;
  std::int64_t stop = 0;
  std::int64_t step = 1;
  const ValueList& p = args.positional;
  if (p.size() == 1) {
    stop = int_arg(p[0], "range");
  } else if (p.size() == 2 || p.size() == 3) {
    start = int_arg(p[0], "range");
    stop = int_arg(p[1], "range");
    if (p.size() == 3) step = int_arg(p[2], "range");
  } else {
    fail("range expected 1 to 3 arguments, got " + std::to_string(p.size()));
  }
  if (step == 0) fail("range() arg 3 must not be zero");
  // Length computed in floating point to avoid overflow for extreme bounds.
  long double span =
      step > 0 ? static_cast<long double>(stop) - start : static_cast<long double>(start) - stop;
  long double length =
      span <= 0 ? 0 : (span + (step > 0 ? step : -step) - 1) / (step > 0 ? step : -step);
  if (length > kMaxRange) {
    fail_limit("Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).");
  }
  auto count = static_cast<std::size_t>(length);
  interp.charge_list(count);
  ValueList items;
  items.reserve(count);
  std::int64_t v = start;
  for (std::size_t i = 0; i < count; ++i, v += step) items.push_back(Value::integer(v));
  return Value::list(std::move(items));
}

// dict(**kwargs) / dict(mapping or pairs, **kwargs).
std::shared_ptr<Dict> dict_from_args(const CallArgs& args, const char* what) {
  auto dict = std::make_shared<Dict>();
  if (args.positional.size() > 1) {
    fail(std::string(what) + " expected at most 1 argument, got " +
         std::to_string(args.positional.size()));
  }
  if (args.positional.size() == 1) {
    const Value& source = args.positional[0];
    if (source.is_dict()) {
      for (const auto& [key, value] : source.as_dict().items()) dict->set(key, value);
    } else if (source.is_namespace()) {
      for (const auto& [key, value] : source.as_namespace().attributes.items())
        dict->set(key, value);
    } else if (source.is_list()) {
      for (const Value& pair : source.as_list()) {
        if (!pair.is_list() || pair.as_list().size() != 2) {
          fail("dictionary update sequence element has wrong length; 2 is required");
        }
        dict->set(pair.as_list()[0], pair.as_list()[1]);
      }
    } else {
      fail("'" + python_type_name(source) + "' object is not iterable");
    }
  }
  for (const auto& [key, value] : args.keyword) dict->set(Value::string(key), value);
  return dict;
}

}  // namespace

void add_globals(std::unordered_map<std::string, Value>& variables) {
  variables["range"] = make_function("range", range_function);
  variables["dict"] = make_function("dict", [](Interpreter&, CallArgs& args) {
    return Value::dict(dict_from_args(args, "dict"));
  });
  variables["namespace"] = make_function("namespace", [](Interpreter& interp, CallArgs& args) {
    std::shared_ptr<Dict> attributes = dict_from_args(args, "namespace");
    auto ns = std::make_shared<Namespace>();
    for (const auto& [key, value] : attributes->items()) {
      if (key.is_string() && !key.as_string().empty() && key.as_string()[0] == '_') {
        fail("Chat templates cannot store underscore-prefixed attributes on a namespace, but got " +
             python_repr(key) + ". Please rename the attribute.");
      }
      ns->attributes.set(key, value);
    }
    interp.track_namespace(ns);
    return Value::name_space(std::move(ns));
  });
  variables["raise_exception"] =
      make_function("raise_exception", [](Interpreter&, CallArgs& args) -> Value {
        std::string message =
            args.positional.empty() ? std::string() : python_str(args.positional[0]);
        fail(message);
      });
  variables["strftime_now"] = make_function("strftime_now", [](Interpreter&, CallArgs& args) {
    if (args.positional.size() != 1 || !args.positional[0].is_string()) {
      fail("strftime_now() takes one string argument (a strftime format)");
    }
    std::time_t now = std::time(nullptr);
    std::tm local{};
    localtime_r(&now, &local);
    char buffer[512];
    std::size_t n =
        std::strftime(buffer, sizeof buffer, args.positional[0].as_string().c_str(), &local);
    return Value::string(std::string(buffer, n));
  });
}

}  // namespace r1::tmpl
