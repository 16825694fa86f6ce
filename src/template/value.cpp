#include "template/value.h"

#include <cmath>
#include <string>

#include "r1/error.h"
#include "template/errors.h"
#include "template/python_format.h"

namespace r1::tmpl {

void fail(const std::string& message) {
  throw Error(ErrorCode::template_error, message);
}

void fail_limit(const std::string& message) {
  throw Error(ErrorCode::limit_exceeded, "chat template exceeded a sandbox limit: " + message);
}

Value Value::undefined(std::string hint, bool unsafe) {
  Value v;
  v.tuple_ = unsafe;
  if (!hint.empty()) v.object_ = std::make_shared<std::string>(std::move(hint));
  return v;
}

Value Value::none() {
  Value v;
  v.kind_ = ValueKind::none;
  return v;
}

Value Value::boolean(bool b) {
  Value v;
  v.kind_ = ValueKind::boolean;
  v.b_ = b;
  return v;
}

Value Value::integer(std::int64_t i) {
  Value v;
  v.kind_ = ValueKind::integer;
  v.i_ = i;
  return v;
}

Value Value::floating(double f) {
  Value v;
  v.kind_ = ValueKind::floating;
  v.f_ = f;
  return v;
}

Value Value::string(std::string s) {
  Value v;
  v.kind_ = ValueKind::string;
  v.object_ = std::make_shared<std::string>(std::move(s));
  return v;
}

Value Value::list(ValueList items, bool is_tuple) {
  Value v;
  v.kind_ = ValueKind::list;
  v.tuple_ = is_tuple;
  std::uint32_t depth = 0;
  for (const Value& item : items) depth = std::max(depth, item.depth());
  v.depth_ = depth + 1;
  v.object_ = std::make_shared<ValueList>(std::move(items));
  return v;
}

Value Value::dict(std::shared_ptr<const Dict> d) {
  Value v;
  v.kind_ = ValueKind::dict;
  std::uint32_t depth = 0;
  for (const auto& [key, item] : d->items()) depth = std::max({depth, key.depth(), item.depth()});
  v.depth_ = depth + 1;
  v.object_ = std::const_pointer_cast<Dict>(std::move(d));
  return v;
}

Value Value::name_space(std::shared_ptr<Namespace> ns) {
  Value v;
  v.kind_ = ValueKind::name_space;
  std::uint32_t depth = 0;
  for (const auto& [key, item] : ns->attributes.items()) depth = std::max(depth, item.depth());
  v.depth_ = depth + 1;
  v.object_ = std::move(ns);
  return v;
}

Value Value::callable(std::shared_ptr<const Callable> fn) {
  Value v;
  v.kind_ = ValueKind::callable;
  v.object_ = std::const_pointer_cast<Callable>(std::move(fn));
  return v;
}

Value Value::loop(std::shared_ptr<LoopState> state) {
  Value v;
  v.kind_ = ValueKind::loop;
  v.object_ = std::move(state);
  return v;
}

double Value::as_double() const {
  switch (kind_) {
    case ValueKind::floating:
      return f_;
    case ValueKind::integer:
      return static_cast<double>(i_);
    case ValueKind::boolean:
      return b_ ? 1.0 : 0.0;
    default:
      return 0.0;
  }
}

const std::string& Value::as_string() const {
  return *static_cast<std::string*>(object_.get());
}
const ValueList& Value::as_list() const {
  return *static_cast<ValueList*>(object_.get());
}
const Dict& Value::as_dict() const {
  return *static_cast<Dict*>(object_.get());
}
Namespace& Value::as_namespace() const {
  return *static_cast<Namespace*>(object_.get());
}
const Callable& Value::as_callable() const {
  return *static_cast<Callable*>(object_.get());
}
LoopState& Value::as_loop() const {
  return *static_cast<LoopState*>(object_.get());
}

const std::string& Value::undefined_hint() const {
  static const std::string empty;
  return object_ ? *static_cast<std::string*>(object_.get()) : empty;
}

bool Value::truthy() const {
  switch (kind_) {
    case ValueKind::undefined:
    case ValueKind::none:
      return false;
    case ValueKind::boolean:
      return b_;
    case ValueKind::integer:
      return i_ != 0;
    case ValueKind::floating:
      return f_ != 0.0;
    case ValueKind::string:
      return !as_string().empty();
    case ValueKind::list:
      return !as_list().empty();
    case ValueKind::dict:
      return as_dict().size() != 0;
    default:
      return true;
  }
}

std::string dict_key_of(const Value& key) {
  switch (key.kind()) {
    case ValueKind::string:
      return "s" + key.as_string();
    case ValueKind::integer:
    case ValueKind::boolean:
      return "i" + std::to_string(key.as_int());
    case ValueKind::floating: {
      double f = key.as_double();
      if (std::isfinite(f) && f == std::trunc(f) && std::fabs(f) < 9.2e18) {
        return "i" + std::to_string(static_cast<std::int64_t>(f));
      }
      return "f" + python_repr(key);
    }
    case ValueKind::none:
      return "n";
    case ValueKind::list:
      if (key.is_tuple()) {
        std::string out = "t";
        for (const Value& item : key.as_list()) out += dict_key_of(item) + '\x1f';
        return out;
      }
      fail("unhashable type: 'list'");
    case ValueKind::dict:
      fail("unhashable type: 'dict'");
    default:
      return "o" + std::to_string(reinterpret_cast<std::uintptr_t>(&key.as_callable()));
  }
}

const Value* Dict::find(const Value& key) const {
  auto it = index_.find(dict_key_of(key));
  return it == index_.end() ? nullptr : &items_[it->second].second;
}

const Value* Dict::find(std::string_view key) const {
  std::string k = "s";
  k += key;
  auto it = index_.find(k);
  return it == index_.end() ? nullptr : &items_[it->second].second;
}

void Dict::set(const Value& key, Value value) {
  std::string k = dict_key_of(key);
  auto it = index_.find(k);
  if (it != index_.end()) {
    items_[it->second].second = std::move(value);
    return;
  }
  index_.emplace(std::move(k), items_.size());
  items_.emplace_back(key, std::move(value));
}

}  // namespace r1::tmpl
