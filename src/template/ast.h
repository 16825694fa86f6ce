// Syntax tree of a parsed template: expressions and statements.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "template/value.h"

namespace r1::tmpl {

enum class ExprKind {
  literal,      // literal value
  name,         // variable reference (name)
  list,         // [items]
  tuple,        // (items)
  dict,         // {items[0]: items[1], ...}
  attribute,    // a.name
  item,         // a[b]
  slice,        // a[b:c:d]; missing parts are null
  call,         // a(args, kwargs)
  filter,       // a|name(args, kwargs); a is null inside {% filter %}
  test,         // a is [not] name(args)
  not_op,       // not a
  negate,       // -a
  plus,         // +a
  binary,       // a op b (arithmetic)
  concat,       // a ~ b
  compare,      // a op0 items[0] op1 items[1] ...
  and_op,       // a and b
  or_op,        // a or b
  conditional,  // b if a else c
};

enum class BinaryOp { add, sub, mul, div, floordiv, mod, pow };
enum class CompareOp { eq, ne, lt, le, gt, ge, in, not_in };

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  ExprKind kind;
  std::size_t offset = 0;   // source position for error messages
  std::uint32_t depth = 1;  // height of this subtree (bounded by the parse depth limit)
  Value literal;
  std::string name;  // variable, attribute, filter or test name
  BinaryOp binary_op = BinaryOp::add;
  bool negated = false;  // test: "is not"
  ExprPtr a, b, c, d;
  std::vector<ExprPtr> items;  // elements, positional args, compare operands
  std::vector<CompareOp> compare_ops;
  std::vector<std::pair<std::string, ExprPtr>> keyword_args;
};

enum class StmtKind {
  text,     // literal output
  output,   // {{ expr }}
  if_stmt,  // branches
  for_stmt,
  set,           // {% set target = expr %}
  set_block,     // {% set name %}body{% endset %}
  macro,         // {% macro name(params) %}
  call_block,    // {% call(params) expr %}body{% endcall %}
  filter_block,  // {% filter f %}body{% endfilter %}
  with_block,    // {% with a = 1 %}body{% endwith %}
  break_stmt,
  continue_stmt,
  generation,  // transformers' {% generation %}: renders its body
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using StmtList = std::vector<StmtPtr>;

/// Assignment target: a name, a namespace attribute (ns.attr) or a tuple of names.
struct Target {
  std::vector<std::string> names;  // one name, or several for unpacking
  bool is_tuple = false;
  std::string attribute;  // non-empty for ns.attr (names[0] is the namespace)
};

struct MacroParam {
  std::string name;
  ExprPtr default_value;  // null when required
};

struct Stmt {
  StmtKind kind;
  std::size_t offset = 0;
  std::string text;   // text output; macro name; set_block name
  ExprPtr expr;       // output/for iterable/set value/call expression/filter (with null input)
  ExprPtr condition;  // for: loop filter
  Target target;
  std::vector<std::pair<ExprPtr, StmtList>> branches;  // if: (condition or null for else, body)
  StmtList body;
  StmtList else_body;                                   // for ... else
  std::vector<MacroParam> params;                       // macro / call block parameters
  std::vector<std::pair<Target, ExprPtr>> assignments;  // with block
  bool recursive = false;
};

}  // namespace r1::tmpl
