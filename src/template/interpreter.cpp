#include "template/interpreter.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "r1/error.h"
#include "template/builtins.h"
#include "template/errors.h"
#include "template/globals.h"
#include "template/lexer.h"
#include "template/operators.h"
#include "template/python_format.h"

namespace r1::tmpl {
namespace {

// String data created while rendering costs one step per this many bytes, so that a template
// cannot spend unbounded time and memory building strings it never prints.
constexpr std::size_t kBytesPerStep = 8;
// Containers may nest this deep (deeper values could overflow the stack when destroyed).
constexpr std::uint32_t kMaxValueDepth = 500;

}  // namespace

const Value* Scope::find(const std::string& name) const {
  for (const Scope* s = this; s != nullptr; s = s->parent.get()) {
    auto it = s->variables.find(name);
    if (it != s->variables.end()) return &it->second;
  }
  return nullptr;
}

Interpreter::NestingGuard::NestingGuard(Interpreter& i) : interp(i) {
  if (++interp.nesting_ > interp.max_nesting_) {
    fail_limit("evaluation nested deeper than " + std::to_string(interp.max_nesting_) +
               " levels (max_nesting)");
  }
}

Interpreter::Interpreter(const ParsedTemplate& tmpl, const TemplateLimits& limits)
    : template_(tmpl), limits_(limits), max_nesting_(limits.max_nesting) {}

Interpreter::~Interpreter() {
  // Namespaces are the only mutable containers, so they are the only way to build reference
  // cycles; emptying them all (while all are kept alive) frees everything without recursion.
  std::vector<std::shared_ptr<Namespace>> alive;
  for (const auto& weak : namespaces_) {
    if (auto ns = weak.lock()) alive.push_back(std::move(ns));
  }
  std::vector<Dict> contents;
  contents.reserve(alive.size());
  for (const auto& ns : alive) {
    contents.push_back(std::move(ns->attributes));
    ns->attributes = Dict();
  }
  contents.clear();
  alive.clear();
  scope_.reset();
}

void Interpreter::step(std::uint64_t amount) {
  steps_ += amount;
  if (steps_ > limits_.max_steps) {
    fail_limit("more than " + std::to_string(limits_.max_steps) + " evaluation steps (max_steps)");
  }
}

void Interpreter::charge_string(std::size_t bytes) {
  if (bytes > limits_.max_value_bytes) {
    fail_limit("a string of " + std::to_string(bytes) + " bytes exceeds max_value_bytes (" +
               std::to_string(limits_.max_value_bytes) + ")");
  }
  step(bytes / kBytesPerStep);
}

void Interpreter::charge_list(std::size_t count) {
  if (count > limits_.max_value_bytes / sizeof(Value)) {
    fail_limit("a list of " + std::to_string(count) + " items exceeds max_value_bytes (" +
               std::to_string(limits_.max_value_bytes) + ")");
  }
  step(count);
}

void Interpreter::count_iteration() {
  if (++iterations_ > limits_.max_loop_iterations) {
    fail_limit("more than " + std::to_string(limits_.max_loop_iterations) +
               " loop iterations (max_loop_iterations)");
  }
  step();
}

void Interpreter::track_namespace(const std::shared_ptr<Namespace>& ns) {
  namespaces_.push_back(ns);
}

std::string Interpreter::render(std::unordered_map<std::string, Value> variables) {
  auto globals = std::make_shared<Scope>();
  add_globals(globals->variables);
  auto context = std::make_shared<Scope>();
  context->parent = globals;
  context->variables = std::move(variables);
  scope_ = context;
  root_scope_ = context;
  std::string out;
  outputs_.push_back(&out);
  try {
    exec_body(template_.body);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::template_error && e.code() != ErrorCode::limit_exceeded) throw;
    throw Error(e.code(), "chat template error at " + describe_position(template_.source, offset_) +
                              ": " + e.what());
  }
  outputs_.clear();
  return out;
}

void Interpreter::write(const std::string& text) {
  std::string& out = *outputs_.back();
  if (out.size() + text.size() > limits_.max_output_bytes) {
    fail_limit("rendered text exceeds max_output_bytes (" +
               std::to_string(limits_.max_output_bytes) + ")");
  }
  step(text.size() / kBytesPerStep);
  out += text;
}

Value Interpreter::lookup(const std::string& name) const {
  const Value* v = scope_->find(name);
  if (v) return *v;
  return Value::undefined("'" + name + "' is undefined");
}

// ---- expressions ----

Value Interpreter::eval(const Expr& expr) {
  NestingGuard guard(*this);
  step();
  offset_ = expr.offset;
  return eval_inner(expr);
}

CallArgs Interpreter::eval_args(const Expr& expr) {
  CallArgs args;
  for (const ExprPtr& item : expr.items) args.positional.push_back(eval(*item));
  for (const auto& [name, value] : expr.keyword_args) {
    args.keyword.emplace_back(name, eval(*value));
  }
  return args;
}

Value Interpreter::eval_filter(const Expr& expr, const Value* block_input) {
  Value input = expr.a ? (expr.a->kind == ExprKind::filter ? eval_filter(*expr.a, block_input)
                                                           : eval(*expr.a))
                       : *block_input;
  CallArgs args = eval_args(expr);
  offset_ = expr.offset;
  step();
  return apply_filter(*this, expr.name, input, args);
}

Value Interpreter::eval_compare(const Expr& expr) {
  Value left = eval(*expr.a);
  for (std::size_t i = 0; i < expr.items.size(); ++i) {
    Value right = eval(*expr.items[i]);
    offset_ = expr.offset;
    bool ok;
    switch (expr.compare_ops[i]) {
      case CompareOp::eq:
        ok = python_equal(left, right);
        break;
      case CompareOp::ne:
        ok = !python_equal(left, right);
        break;
      case CompareOp::in:
        ok = python_contains(right, left);
        break;
      case CompareOp::not_in:
        ok = !python_contains(right, left);
        break;
      default:
        ok = python_compare(expr.compare_ops[i], left, right);
    }
    if (!ok) return Value::boolean(false);
    left = std::move(right);
  }
  return Value::boolean(true);
}

Value Interpreter::eval_inner(const Expr& expr) {
  switch (expr.kind) {
    case ExprKind::literal:
      return expr.literal;
    case ExprKind::name:
      return lookup(expr.name);
    case ExprKind::list:
    case ExprKind::tuple: {
      ValueList items;
      items.reserve(expr.items.size());
      for (const ExprPtr& item : expr.items) items.push_back(eval(*item));
      charge_list(items.size());
      return Value::list(std::move(items), expr.kind == ExprKind::tuple);
    }
    case ExprKind::dict: {
      auto dict = std::make_shared<Dict>();
      for (std::size_t i = 0; i + 1 < expr.items.size(); i += 2) {
        Value key = eval(*expr.items[i]);
        dict->set(key, eval(*expr.items[i + 1]));
      }
      charge_list(dict->size());
      return Value::dict(std::move(dict));
    }
    case ExprKind::attribute: {
      Value obj = eval(*expr.a);
      offset_ = expr.offset;
      if (obj.is_undefined()) fail_undefined(obj);
      return get_attribute(*this, obj, expr.name);
    }
    case ExprKind::item: {
      Value obj = eval(*expr.a);
      Value key = eval(*expr.b);
      offset_ = expr.offset;
      if (obj.is_undefined()) fail_undefined(obj);
      return get_item(*this, obj, key);
    }
    case ExprKind::slice: {
      Value obj = eval(*expr.a);
      Value start = expr.b ? eval(*expr.b) : Value::none();
      Value stop = expr.c ? eval(*expr.c) : Value::none();
      Value stride = expr.d ? eval(*expr.d) : Value::none();
      offset_ = expr.offset;
      if (obj.is_undefined()) fail_undefined(obj);
      return get_slice(*this, obj, start, stop, stride);
    }
    case ExprKind::call: {
      Value callee = eval(*expr.a);
      CallArgs args = eval_args(expr);
      offset_ = expr.offset;
      return call(callee, args);
    }
    case ExprKind::filter:
      return eval_filter(expr, nullptr);
    case ExprKind::test: {
      Value input = eval(*expr.a);
      CallArgs args = eval_args(expr);
      offset_ = expr.offset;
      bool result = apply_test(*this, expr.name, input, args);
      return Value::boolean(result != expr.negated);
    }
    case ExprKind::not_op:
      return Value::boolean(!eval(*expr.a).truthy());
    case ExprKind::negate:
    case ExprKind::plus: {
      Value v = eval(*expr.a);
      offset_ = expr.offset;
      bool negate = expr.kind == ExprKind::negate;
      if (v.is_int() || v.is_bool()) {
        if (!negate) return Value::integer(v.as_int());
        if (v.as_int() == INT64_MIN) fail_limit("integer overflow (64-bit integers only)");
        return Value::integer(-v.as_int());
      }
      if (v.is_float()) return Value::floating(negate ? -v.as_double() : v.as_double());
      if (v.is_undefined()) fail_undefined(v);
      fail(std::string("bad operand type for unary ") + (negate ? "-" : "+") + ": '" +
           python_type_name(v) + "'");
    }
    case ExprKind::binary: {
      Value a = eval(*expr.a);
      Value b = eval(*expr.b);
      offset_ = expr.offset;
      return binary_operation(*this, expr.binary_op, a, b);
    }
    case ExprKind::concat: {
      std::string out;
      for (const ExprPtr& item : expr.items) {
        out += python_str(eval(*item));
        charge_string(out.size());
      }
      return Value::string(std::move(out));
    }
    case ExprKind::compare:
      return eval_compare(expr);
    case ExprKind::and_op: {
      Value left = eval(*expr.a);
      if (!left.truthy()) return left;
      return eval(*expr.b);
    }
    case ExprKind::or_op: {
      Value left = eval(*expr.a);
      if (left.truthy()) return left;
      return eval(*expr.b);
    }
    case ExprKind::conditional:
      if (eval(*expr.a).truthy()) return eval(*expr.b);
      if (expr.c) return eval(*expr.c);
      return Value::undefined(
          "the inline if-expression evaluated to false and no else section was defined");
  }
  fail("unknown expression");
}

Value Interpreter::call(const Value& callee, CallArgs& args) {
  NestingGuard guard(*this);
  step();
  if (callee.is_undefined()) {
    if (callee.undefined_unsafe()) fail(callee.undefined_hint());
    fail_undefined(callee);
  }
  if (!callee.is_callable()) fail("'" + python_type_name(callee) + "' object is not callable");
  return callee.as_callable().call(*this, args);
}

Value Interpreter::call_macro(const Stmt& def, const std::shared_ptr<Scope>& defining_scope,
                              CallArgs& args, const Value* caller) {
  if (call_depth_ >= limits_.max_call_depth) {
    fail_limit("macro calls nested deeper than " + std::to_string(limits_.max_call_depth) +
               " (max_call_depth)");
  }
  const std::string& macro_name = def.kind == StmtKind::macro ? def.text : std::string("caller");
  auto scope = std::make_shared<Scope>();
  scope->parent = defining_scope ? defining_scope : root_scope_;
  if (args.positional.size() > def.params.size()) {
    fail("macro '" + macro_name + "' takes not more than " + std::to_string(def.params.size()) +
         " argument(s)");
  }
  std::vector<bool> bound(def.params.size(), false);
  for (std::size_t i = 0; i < args.positional.size(); ++i) {
    scope->variables[def.params[i].name] = args.positional[i];
    bound[i] = true;
  }
  for (auto& keyword : args.keyword) {
    const std::string& name = keyword.first;
    Value& value = keyword.second;
    auto it = std::find_if(def.params.begin(), def.params.end(),
                           [&](const MacroParam& p) { return p.name == name; });
    if (it == def.params.end()) {
      if (name == "caller") {
        scope->variables["caller"] = value;
        continue;
      }
      fail("macro '" + macro_name + "' takes no keyword argument '" + name + "'");
    }
    std::size_t index = static_cast<std::size_t>(it - def.params.begin());
    if (bound[index])
      fail("macro '" + macro_name + "' got multiple values for argument '" + name + "'");
    scope->variables[name] = value;
    bound[index] = true;
  }
  if (caller) scope->variables["caller"] = *caller;
  scope->variables["varargs"] = Value::list({});
  scope->variables["kwargs"] = Value::dict(std::make_shared<Dict>());
  auto saved = scope_;
  scope_ = scope;
  ++call_depth_;
  for (std::size_t i = 0; i < def.params.size(); ++i) {
    if (bound[i]) continue;
    const MacroParam& param = def.params[i];
    scope->variables[param.name] =
        param.default_value ? eval(*param.default_value)
                            : Value::undefined("parameter '" + param.name + "' was not provided");
  }
  std::string out = capture(def.body);
  --call_depth_;
  scope_ = saved;
  return Value::string(std::move(out));
}

// ---- statements ----

std::string Interpreter::capture(const StmtList& body) {
  std::string out;
  outputs_.push_back(&out);
  exec_body(body);
  outputs_.pop_back();
  return out;
}

Interpreter::Flow Interpreter::exec_body(const StmtList& body) {
  for (const StmtPtr& stmt : body) {
    Flow flow = exec(*stmt);
    if (flow != Flow::normal) return flow;
  }
  return Flow::normal;
}

Interpreter::Flow Interpreter::exec(const Stmt& stmt) {
  NestingGuard guard(*this);
  step();
  offset_ = stmt.offset;
  switch (stmt.kind) {
    case StmtKind::text:
      write(stmt.text);
      return Flow::normal;
    case StmtKind::output: {
      Value v = eval(*stmt.expr);
      write(python_str(v));
      return Flow::normal;
    }
    case StmtKind::if_stmt:
      for (const auto& [condition, body] : stmt.branches) {
        if (!condition || eval(*condition).truthy()) return exec_body(body);
      }
      return Flow::normal;
    case StmtKind::for_stmt:
      return exec_for(stmt);
    case StmtKind::set:
      exec_set(stmt);
      return Flow::normal;
    case StmtKind::set_block: {
      Value v = Value::string(capture(stmt.body));
      if (stmt.expr) v = eval_filter(*stmt.expr, &v);
      scope_->variables[stmt.target.names[0]] = v;
      return Flow::normal;
    }
    case StmtKind::macro:
      exec_macro(stmt);
      return Flow::normal;
    case StmtKind::call_block:
      exec_call_block(stmt);
      return Flow::normal;
    case StmtKind::filter_block: {
      Value input = Value::string(capture(stmt.body));
      write(python_str(eval_filter(*stmt.expr, &input)));
      return Flow::normal;
    }
    case StmtKind::with_block: {
      auto scope = std::make_shared<Scope>();
      scope->parent = scope_;
      for (const auto& [target, value] : stmt.assignments) {
        bind_unpacked(*scope, target, eval(*value));
      }
      auto saved = scope_;
      scope_ = scope;
      Flow flow = exec_body(stmt.body);
      scope_ = saved;
      return flow;
    }
    case StmtKind::break_stmt:
      return Flow::break_loop;
    case StmtKind::continue_stmt:
      return Flow::continue_loop;
    case StmtKind::generation:
      return exec_body(stmt.body);
  }
  return Flow::normal;
}

void Interpreter::bind_unpacked(Scope& scope, const Target& target, const Value& value) {
  if (!target.is_tuple) {
    scope.variables[target.names[0]] = value;
    return;
  }
  if (!(value.is_list() || value.is_string() || value.is_dict())) {
    fail("cannot unpack non-iterable " + python_type_name(value) + " object");
  }
  ValueList items = iterate(*this, value);
  if (items.size() > target.names.size()) {
    fail("too many values to unpack (expected " + std::to_string(target.names.size()) + ")");
  }
  if (items.size() < target.names.size()) {
    fail("not enough values to unpack (expected " + std::to_string(target.names.size()) + ", got " +
         std::to_string(items.size()) + ")");
  }
  for (std::size_t i = 0; i < items.size(); ++i) scope.variables[target.names[i]] = items[i];
}

void Interpreter::assign(const Target& target, const Value& value) {
  if (target.attribute.empty()) {
    bind_unpacked(*scope_, target, value);
    return;
  }
  Value ns = lookup(target.names[0]);
  if (!ns.is_namespace()) fail("cannot assign attribute on non-namespace object");
  if (!target.attribute.empty() && target.attribute[0] == '_') {
    fail("Chat templates cannot store underscore-prefixed attributes on a namespace, but got '" +
         target.attribute + "'. Please rename the attribute.");
  }
  if (value.depth() >= kMaxValueDepth) fail_limit("value nested too deeply");
  ns.as_namespace().attributes.set(Value::string(target.attribute), value);
}

void Interpreter::exec_set(const Stmt& stmt) {
  assign(stmt.target, eval(*stmt.expr));
}

Interpreter::Flow Interpreter::exec_for(const Stmt& stmt) {
  Value iterable = eval(*stmt.expr);
  offset_ = stmt.offset;
  if (!(iterable.is_list() || iterable.is_dict() || iterable.is_string() ||
        iterable.is_undefined())) {
    fail("'" + python_type_name(iterable) + "' object is not iterable");
  }
  ValueList items = iterate(*this, iterable);
  auto saved = scope_;
  if (stmt.condition) {
    ValueList kept;
    for (Value& item : items) {
      count_iteration();
      auto probe = std::make_shared<Scope>();
      probe->parent = saved;
      bind_unpacked(*probe, stmt.target, item);
      scope_ = probe;
      bool keep = eval(*stmt.condition).truthy();
      scope_ = saved;
      if (keep) kept.push_back(std::move(item));
    }
    items = std::move(kept);
  }
  auto state = std::make_shared<LoopState>();
  state->items = std::make_shared<const ValueList>(std::move(items));
  const ValueList& list = *state->items;
  for (std::size_t i = 0; i < list.size(); ++i) {
    count_iteration();
    auto scope = std::make_shared<Scope>();
    scope->parent = saved;
    bind_unpacked(*scope, stmt.target, list[i]);
    scope->variables["loop"] = Value::loop(state);
    state->index0 = i;
    scope_ = scope;
    Flow flow = exec_body(stmt.body);
    scope_ = saved;
    if (flow == Flow::break_loop) break;
  }
  if (list.empty() && !stmt.else_body.empty()) {
    auto scope = std::make_shared<Scope>();
    scope->parent = saved;
    scope_ = scope;
    exec_body(stmt.else_body);
    scope_ = saved;
  }
  return Flow::normal;
}

void Interpreter::exec_macro(const Stmt& stmt) {
  auto fn = std::make_shared<Callable>();
  fn->name = stmt.text;
  fn->is_macro = true;
  // A weak reference: the macro lives in the scope it refers to (no reference cycle).
  std::weak_ptr<Scope> defining = scope_;
  const Stmt* def = &stmt;
  fn->call = [def, defining](Interpreter& interp, CallArgs& args) {
    return interp.call_macro(*def, defining.lock(), args, nullptr);
  };
  scope_->variables[stmt.text] = Value::callable(std::move(fn));
}

void Interpreter::exec_call_block(const Stmt& stmt) {
  auto fn = std::make_shared<Callable>();
  fn->name = "caller";
  fn->is_macro = true;
  std::weak_ptr<Scope> defining = scope_;
  const Stmt* def = &stmt;
  fn->call = [def, defining](Interpreter& interp, CallArgs& args) {
    return interp.call_macro(*def, defining.lock(), args, nullptr);
  };
  const Expr& call_expr = *stmt.expr;
  Value callee = eval(*call_expr.a);
  CallArgs args = eval_args(call_expr);
  args.keyword.emplace_back("caller", Value::callable(std::move(fn)));
  offset_ = stmt.offset;
  write(python_str(call(callee, args)));
}

}  // namespace r1::tmpl
