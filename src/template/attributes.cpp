// Attribute and item access as jinja2's ImmutableSandboxedEnvironment performs it.
#include <algorithm>
#include <memory>

#include "template/builtins.h"
#include "template/errors.h"
#include "template/interpreter.h"
#include "template/operators.h"
#include "template/python_format.h"
#include "template/unicode_text.h"

namespace r1::tmpl {
namespace {

Value missing_attribute(const Value& obj, const std::string& name) {
  // Built by appending: GCC 12 reports a false -Wrestrict for chained operator+ here.
  std::string hint = "'";
  hint.append(python_type_name(obj)).append(" object' has no attribute '").append(name).append("'");
  return Value::undefined(std::move(hint));
}

// The sandbox resolves mutating methods to an undefined that fails with a SecurityError when used.
Value unsafe_attribute(const Value& obj, const std::string& name) {
  return Value::undefined(
      "access to attribute '" + name + "' of '" + python_type_name(obj) + "' object is unsafe.",
      true);
}

bool is_one_of(const std::string& name, std::initializer_list<const char*> names) {
  return std::any_of(names.begin(), names.end(), [&](const char* n) { return name == n; });
}

Value dict_items(Interpreter& interp, const Value& self, CallArgs& args) {
  check_args(args, "items", {});
  interp.charge_list(self.as_dict().size());
  ValueList items;
  for (const auto& [key, value] : self.as_dict().items())
    items.push_back(Value::list({key, value}, true));
  return Value::list(std::move(items));
}

Value dict_keys(Interpreter& interp, const Value& self, CallArgs& args) {
  check_args(args, "keys", {});
  interp.charge_list(self.as_dict().size());
  ValueList items;
  for (const auto& [key, value] : self.as_dict().items()) items.push_back(key);
  return Value::list(std::move(items));
}

Value dict_values(Interpreter& interp, const Value& self, CallArgs& args) {
  check_args(args, "values", {});
  interp.charge_list(self.as_dict().size());
  ValueList items;
  for (const auto& [key, value] : self.as_dict().items()) items.push_back(value);
  return Value::list(std::move(items));
}

Value dict_get(Interpreter&, const Value& self, CallArgs& args) {
  check_args(args, "get", {"key", "default"});
  const Value* key = find_arg(args, 0, "key");
  if (!key) fail("get expected at least 1 argument, got 0");
  const Value* fallback = find_arg(args, 1, "default");
  const Value* found = self.as_dict().find(*key);
  if (found) return *found;
  return fallback ? *fallback : Value::none();
}

Value dict_copy(Interpreter&, const Value& self, CallArgs& args) {
  check_args(args, "copy", {});
  return self;
}

Value list_count(Interpreter&, const Value& self, CallArgs& args) {
  check_args(args, "count", {"value"});
  const Value* needle = find_arg(args, 0, "value");
  if (!needle) fail("count() takes exactly one argument (0 given)");
  std::int64_t n = 0;
  for (const Value& v : self.as_list()) n += python_equal(v, *needle);
  return Value::integer(n);
}

Value list_index(Interpreter&, const Value& self, CallArgs& args) {
  check_args(args, "index", {"value"});
  const Value* needle = find_arg(args, 0, "value");
  if (!needle) fail("index expected at least 1 argument, got 0");
  const ValueList& items = self.as_list();
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (python_equal(items[i], *needle)) return Value::integer(static_cast<std::int64_t>(i));
  }
  fail(python_repr(*needle) + " is not in list");
}

Value list_copy(Interpreter&, const Value& self, CallArgs& args) {
  check_args(args, "copy", {});
  return self;
}

Value loop_cycle(Interpreter&, const Value& self, CallArgs& args) {
  if (args.positional.empty()) fail("no items for cycling given");
  const LoopState& loop = self.as_loop();
  return args.positional[loop.index0 % args.positional.size()];
}

Value loop_changed(Interpreter&, const Value& self, CallArgs& args) {
  LoopState& loop = self.as_loop();
  Value current = Value::list(args.positional);
  if (!loop.has_last_changed || !python_equal(current, loop.last_changed)) {
    loop.has_last_changed = true;
    loop.last_changed = current;
    return Value::boolean(true);
  }
  return Value::boolean(false);
}

Value loop_attribute(const Value& obj, const std::string& name) {
  const LoopState& loop = obj.as_loop();
  auto i = static_cast<std::int64_t>(loop.index0);
  auto n = static_cast<std::int64_t>(loop.items->size());
  if (name == "index") return Value::integer(i + 1);
  if (name == "index0") return Value::integer(i);
  if (name == "revindex") return Value::integer(n - i);
  if (name == "revindex0") return Value::integer(n - i - 1);
  if (name == "first") return Value::boolean(i == 0);
  if (name == "last") return Value::boolean(i == n - 1);
  if (name == "length") return Value::integer(n);
  if (name == "depth") return Value::integer(1);
  if (name == "depth0") return Value::integer(0);
  if (name == "previtem") {
    return i > 0 ? (*loop.items)[static_cast<std::size_t>(i - 1)]
                 : Value::undefined("there is no previous item");
  }
  if (name == "nextitem") {
    return i + 1 < n ? (*loop.items)[static_cast<std::size_t>(i + 1)]
                     : Value::undefined("there is no next item");
  }
  if (name == "cycle") return make_method("cycle", obj, loop_cycle);
  if (name == "changed") return make_method("changed", obj, loop_changed);
  return missing_attribute(obj, name);
}

// Methods only (what getattr finds on the object itself), or undefined.
Value method_of(Interpreter& interp, const Value& obj, const std::string& name, bool* found) {
  *found = true;
  switch (obj.kind()) {
    case ValueKind::dict:
      if (name == "items") return make_method(name, obj, dict_items);
      if (name == "keys") return make_method(name, obj, dict_keys);
      if (name == "values") return make_method(name, obj, dict_values);
      if (name == "get") return make_method(name, obj, dict_get);
      if (name == "copy") return make_method(name, obj, dict_copy);
      if (is_one_of(name, {"clear", "pop", "popitem", "setdefault", "update"})) {
        return unsafe_attribute(obj, name);
      }
      break;
    case ValueKind::list:
      if (name == "count") return make_method(name, obj, list_count);
      if (name == "index") return make_method(name, obj, list_index);
      if (!obj.is_tuple()) {
        if (name == "copy") return make_method(name, obj, list_copy);
        if (is_one_of(name, {"append", "extend", "insert", "pop", "remove", "reverse", "sort",
                             "clear"})) {
          return unsafe_attribute(obj, name);
        }
      }
      break;
    case ValueKind::string: {
      Value method = string_method(interp, obj, name);
      if (!method.is_undefined()) return method;
      break;
    }
    case ValueKind::loop:
      return loop_attribute(obj, name);
    case ValueKind::name_space: {
      const Value* v = obj.as_namespace().attributes.find(name);
      if (v) return *v;
      break;
    }
    default:
      break;
  }
  *found = false;
  return missing_attribute(obj, name);
}

// Python slice.indices(): normalized start, stop and step for a sequence of `length`.
void slice_indices(const Value& start_v, const Value& stop_v, const Value& step_v,
                   std::int64_t length, std::int64_t& start, std::int64_t& stop,
                   std::int64_t& step) {
  auto as_index = [](const Value& v) {
    if (!(v.is_int() || v.is_bool())) {
      fail("slice indices must be integers or None or have an __index__ method");
    }
    return v.as_int();
  };
  step = step_v.is_none() ? 1 : as_index(step_v);
  if (step == 0) fail("slice step cannot be zero");
  if (step == INT64_MIN) step = -INT64_MAX;
  std::int64_t lower = step < 0 ? -1 : 0;
  std::int64_t upper = step < 0 ? length - 1 : length;
  auto clamp = [&](const Value& v, std::int64_t fallback) {
    if (v.is_none()) return fallback;
    std::int64_t i = as_index(v);
    if (i < 0) {
      i = i < -length ? lower : i + length;
      return std::max(i, lower);
    }
    return std::min(i, upper);
  };
  start = clamp(start_v, step < 0 ? upper : lower);
  stop = clamp(stop_v, step < 0 ? lower : upper);
}

}  // namespace

const Value* find_arg(const CallArgs& args, std::size_t index, const char* name) {
  if (index < args.positional.size()) return &args.positional[index];
  for (const auto& [key, value] : args.keyword) {
    if (key == name) return &value;
  }
  return nullptr;
}

void check_args(const CallArgs& args, const std::string& function,
                std::initializer_list<const char*> names) {
  if (args.positional.size() > names.size()) {
    fail(function + "() takes at most " + std::to_string(names.size()) + " argument(s) (" +
         std::to_string(args.positional.size()) + " given)");
  }
  for (const auto& keyword : args.keyword) {
    const std::string& key = keyword.first;
    auto it = std::find_if(names.begin(), names.end(), [&](const char* n) { return key == n; });
    if (it == names.end()) fail(function + "() got an unexpected keyword argument '" + key + "'");
    if (static_cast<std::size_t>(it - names.begin()) < args.positional.size()) {
      fail(function + "() got multiple values for argument '" + key + "'");
    }
  }
}

Value make_method(const std::string& name, Value receiver,
                  Value (*body)(Interpreter&, const Value&, CallArgs&)) {
  auto fn = std::make_shared<Callable>();
  fn->name = name;
  fn->call = [receiver = std::move(receiver), body](Interpreter& interp, CallArgs& args) {
    return body(interp, receiver, args);
  };
  return Value::callable(std::move(fn));
}

Value get_attribute(Interpreter& interp, const Value& obj, const std::string& name) {
  if (obj.is_undefined()) fail_undefined(obj);
  bool found = false;
  Value method = method_of(interp, obj, name, &found);
  if (found) return method;
  if (obj.is_dict()) {
    const Value* v = obj.as_dict().find(name);
    if (v) return *v;
  }
  return method;
}

Value get_item(Interpreter& interp, const Value& obj, const Value& key) {
  if (obj.is_undefined()) fail_undefined(obj);
  switch (obj.kind()) {
    case ValueKind::dict: {
      if (key.is_list() && !key.is_tuple()) fail("unhashable type: 'list'");
      if (key.is_dict()) fail("unhashable type: 'dict'");
      const Value* v = obj.as_dict().find(key);
      if (v) return *v;
      break;
    }
    case ValueKind::list:
    case ValueKind::string:
      if (key.is_int() || key.is_bool()) {
        std::int64_t index = key.as_int();
        if (obj.is_list()) {
          auto n = static_cast<std::int64_t>(obj.as_list().size());
          if (index < 0) index += n;
          if (index < 0 || index >= n) return Value::undefined("list index out of range");
          return obj.as_list()[static_cast<std::size_t>(index)];
        }
        const std::string& s = obj.as_string();
        if (is_ascii(s)) {
          auto n = static_cast<std::int64_t>(s.size());
          if (index < 0) index += n;
          if (index < 0 || index >= n) return Value::undefined("string index out of range");
          return Value::string(s.substr(static_cast<std::size_t>(index), 1));
        }
        std::u32string cps = decode_utf8(s);
        auto n = static_cast<std::int64_t>(cps.size());
        if (index < 0) index += n;
        if (index < 0 || index >= n) return Value::undefined("string index out of range");
        return Value::string(encode_utf8(cps.substr(static_cast<std::size_t>(index), 1)));
      }
      break;
    default:
      break;
  }
  if (key.is_string()) {
    bool found = false;
    Value method = method_of(interp, obj, key.as_string(), &found);
    if (found) return method;
  }
  std::string hint = "'";
  hint.append(python_type_name(obj)).append(" object' has no element ").append(python_repr(key));
  return Value::undefined(std::move(hint));
}

Value get_slice(Interpreter& interp, const Value& obj, const Value& start_v, const Value& stop_v,
                const Value& step_v) {
  if (!(obj.is_list() || obj.is_string())) {
    if (obj.is_dict()) fail("unhashable type: 'slice'");
    std::string hint = "'";
    hint.append(python_type_name(obj)).append("' object is not subscriptable");
    return Value::undefined(std::move(hint));
  }
  bool ascii = obj.is_string() && is_ascii(obj.as_string());
  std::u32string cps;
  if (obj.is_string() && !ascii) cps = decode_utf8(obj.as_string());
  auto length = static_cast<std::int64_t>(obj.is_list() ? obj.as_list().size()
                                          : ascii       ? obj.as_string().size()
                                                        : cps.size());
  std::int64_t start, stop, step;
  slice_indices(start_v, stop_v, step_v, length, start, stop, step);
  std::vector<std::size_t> picks;
  if (step > 0) {
    for (std::int64_t i = start; i < stop; i += step) picks.push_back(static_cast<std::size_t>(i));
  } else {
    for (std::int64_t i = start; i > stop; i += step) picks.push_back(static_cast<std::size_t>(i));
  }
  if (obj.is_list()) {
    interp.charge_list(picks.size());
    ValueList items;
    items.reserve(picks.size());
    for (std::size_t i : picks) items.push_back(obj.as_list()[i]);
    return Value::list(std::move(items), obj.is_tuple());
  }
  if (ascii) {
    const std::string& s = obj.as_string();
    std::string out;
    out.reserve(picks.size());
    for (std::size_t i : picks) out += s[i];
    interp.charge_string(out.size());
    return Value::string(std::move(out));
  }
  std::u32string out;
  for (std::size_t i : picks) out += cps[i];
  std::string text = encode_utf8(out);
  interp.charge_string(text.size());
  return Value::string(std::move(text));
}

}  // namespace r1::tmpl
