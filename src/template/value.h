// The Jinja value model: what template expressions evaluate to. Mirrors the Python objects that
// jinja2 works with (None, bool, int, float, str, list/tuple, dict, Namespace, callables, loop
// objects and Undefined). Values are cheap to copy: containers are shared and immutable, except
// namespaces and loop states, which are shared mutable objects exactly as in Python.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace r1::tmpl {

enum class ValueKind : std::uint8_t {
  undefined,  // jinja2's Undefined: prints "", iterates as empty, fails on attribute access
  none,
  boolean,
  integer,  // Python int limited to 64 bits (overflow is an error)
  floating,
  string,  // UTF-8 text
  list,    // Python list, or tuple when is_tuple()
  dict,    // insertion-ordered Python dict
  name_space,
  callable,  // macros, globals, bound methods
  loop,      // the `loop` object of a for loop
};

class Value;
class Dict;
struct Namespace;
struct Callable;
struct LoopState;
using ValueList = std::vector<Value>;

/// One Jinja value. Copies share the underlying container.
class Value {
 public:
  Value() = default;  // undefined

  static Value undefined(std::string hint = {}, bool unsafe = false);
  static Value none();
  static Value boolean(bool b);
  static Value integer(std::int64_t i);
  static Value floating(double f);
  static Value string(std::string s);
  static Value list(ValueList items, bool is_tuple = false);
  static Value dict(std::shared_ptr<const Dict> d);
  static Value name_space(std::shared_ptr<Namespace> ns);
  static Value callable(std::shared_ptr<const Callable> fn);
  static Value loop(std::shared_ptr<LoopState> state);

  ValueKind kind() const { return kind_; }
  bool is_undefined() const { return kind_ == ValueKind::undefined; }
  bool is_none() const { return kind_ == ValueKind::none; }
  bool is_bool() const { return kind_ == ValueKind::boolean; }
  bool is_int() const { return kind_ == ValueKind::integer; }
  bool is_float() const { return kind_ == ValueKind::floating; }
  /// int, float or bool (Python treats bool as a number).
  bool is_number() const {
    return kind_ == ValueKind::integer || kind_ == ValueKind::floating ||
           kind_ == ValueKind::boolean;
  }
  bool is_string() const { return kind_ == ValueKind::string; }
  bool is_list() const { return kind_ == ValueKind::list; }
  bool is_tuple() const { return kind_ == ValueKind::list && tuple_; }
  bool is_dict() const { return kind_ == ValueKind::dict; }
  bool is_namespace() const { return kind_ == ValueKind::name_space; }
  bool is_callable() const { return kind_ == ValueKind::callable; }
  bool is_loop() const { return kind_ == ValueKind::loop; }

  bool as_bool() const { return b_; }
  std::int64_t as_int() const { return kind_ == ValueKind::boolean ? (b_ ? 1 : 0) : i_; }
  /// The number as a double (int, bool or float).
  double as_double() const;
  const std::string& as_string() const;
  const ValueList& as_list() const;
  const Dict& as_dict() const;
  Namespace& as_namespace() const;
  const Callable& as_callable() const;
  LoopState& as_loop() const;

  /// For undefined values: the name or description of what was missing, used in errors.
  const std::string& undefined_hint() const;
  /// For undefined values: true when it stands for an attribute the sandbox refuses.
  bool undefined_unsafe() const { return tuple_; }

  /// Nesting depth of containers (0 for scalars); bounded to keep recursion safe.
  std::uint32_t depth() const { return depth_; }

  /// Python truthiness.
  bool truthy() const;

 private:
  ValueKind kind_ = ValueKind::undefined;
  bool tuple_ = false;  // list: is a tuple; undefined: unsafe attribute
  std::uint32_t depth_ = 0;
  union {
    bool b_;
    std::int64_t i_ = 0;
    double f_;
  };
  std::shared_ptr<void> object_;  // string, list, dict, namespace, callable, loop, hint
};

/// Key used to index dicts: equal for keys Python considers equal (1, 1.0 and True).
/// Throws Error(template_error) for unhashable keys (lists, dicts).
std::string dict_key_of(const Value& key);

/// Insertion-ordered dict.
class Dict {
 public:
  const Value* find(const Value& key) const;
  const Value* find(std::string_view key) const;
  /// Inserts or replaces, keeping the first insertion position (like Python).
  void set(const Value& key, Value value);
  const std::vector<std::pair<Value, Value>>& items() const { return items_; }
  std::size_t size() const { return items_.size(); }

 private:
  std::vector<std::pair<Value, Value>> items_;
  std::unordered_map<std::string, std::size_t> index_;
};

/// jinja2's Namespace: a mutable attribute bag (the only mutable container in the sandbox).
struct Namespace {
  Dict attributes;
};

struct CallArgs;
class Interpreter;

/// A callable value: a macro, a global function or a bound method.
struct Callable {
  std::string name;
  bool is_macro = false;
  std::function<Value(Interpreter&, CallArgs&)> call;
};

/// Positional and keyword arguments of a call.
struct CallArgs {
  ValueList positional;
  std::vector<std::pair<std::string, Value>> keyword;
};

/// State of the `loop` variable of one for loop.
struct LoopState {
  std::shared_ptr<const ValueList> items;
  std::size_t index0 = 0;
  std::size_t depth0 = 0;
  bool has_last_changed = false;
  Value last_changed;
};

}  // namespace r1::tmpl
