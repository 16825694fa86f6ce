// Renders a parsed template: evaluates expressions and executes statements with jinja2's scoping,
// while enforcing the sandbox limits (steps, loop iterations, call depth, output and value sizes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "r1/chat_template.h"
#include "template/ast.h"
#include "template/parser.h"
#include "template/value.h"

namespace r1::tmpl {

/// A frame of variables. Loop bodies and macro calls open child scopes; `if` does not.
struct Scope {
  std::shared_ptr<Scope> parent;
  std::unordered_map<std::string, Value> variables;

  const Value* find(const std::string& name) const;
};

class Interpreter {
 public:
  Interpreter(const ParsedTemplate& tmpl, const TemplateLimits& limits);
  ~Interpreter();

  /// Renders the template with the given variables (globals are added underneath them).
  std::string render(std::unordered_map<std::string, Value> variables);

  /// Calls a callable value (macro, global, bound method).
  Value call(const Value& callee, CallArgs& args);

  /// Accounts one unit of work; throws Error(limit_exceeded) past max_steps.
  void step(std::uint64_t amount = 1);
  /// Accounts the creation of `bytes` bytes of string data (bounded like steps) and checks a
  /// string of that size is allowed.
  void charge_string(std::size_t bytes);
  /// Checks a list of `count` items may be built, and accounts it.
  void charge_list(std::size_t count);
  /// Counts one loop iteration (all loops of a render share max_loop_iterations).
  void count_iteration();
  /// Registers a namespace so that reference cycles through it are broken after rendering.
  void track_namespace(const std::shared_ptr<Namespace>& ns);

  const TemplateLimits& limits() const { return limits_; }

 private:
  enum class Flow { normal, break_loop, continue_loop };

  Value eval(const Expr& expr);
  Value eval_inner(const Expr& expr);
  Value eval_filter(const Expr& expr, const Value* block_input);
  Value eval_compare(const Expr& expr);
  CallArgs eval_args(const Expr& expr);

  Flow exec_body(const StmtList& body);
  Flow exec(const Stmt& stmt);
  Flow exec_for(const Stmt& stmt);
  void exec_set(const Stmt& stmt);
  void exec_macro(const Stmt& stmt);
  void exec_call_block(const Stmt& stmt);
  std::string capture(const StmtList& body);

  void assign(const Target& target, const Value& value);
  void bind_unpacked(Scope& scope, const Target& target, const Value& value);
  Value call_macro(const Stmt& def, const std::shared_ptr<Scope>& defining_scope, CallArgs& args,
                   const Value* caller);
  void write(const std::string& text);

  Value lookup(const std::string& name) const;

  // Nesting guard for eval/exec/call: bounds the C++ stack whatever the template does.
  struct NestingGuard {
    explicit NestingGuard(Interpreter& i);
    ~NestingGuard() { --interp.nesting_; }
    Interpreter& interp;
  };

  const ParsedTemplate& template_;
  TemplateLimits limits_;
  std::shared_ptr<Scope> scope_;
  std::shared_ptr<Scope> root_scope_;  // the template's top-level variables
  std::vector<std::string*> outputs_;
  std::uint64_t steps_ = 0;
  std::uint64_t iterations_ = 0;
  std::size_t call_depth_ = 0;
  std::size_t nesting_ = 0;
  std::size_t max_nesting_ = 0;
  std::size_t offset_ = 0;  // source position being evaluated, for error messages
  std::vector<std::weak_ptr<Namespace>> namespaces_;
};

}  // namespace r1::tmpl
