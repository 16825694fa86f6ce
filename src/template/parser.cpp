#include "template/parser.h"

#include <algorithm>
#include <initializer_list>

#include "template/builtins.h"
#include "template/errors.h"

namespace r1::tmpl {
namespace {

class Parser {
 public:
  Parser(LexedTemplate lexed, std::size_t max_depth)
      : source_(std::move(lexed.source)), tokens_(std::move(lexed.tokens)), max_depth_(max_depth) {}

  ParsedTemplate run() {
    ParsedTemplate result;
    std::string end = parse_body(result.body, {});
    (void)end;
    result.source = std::move(source_);
    return result;
  }

 private:
  // Counts recursion so that "((((((" or deeply nested blocks fail instead of overflowing.
  struct DepthGuard {
    explicit DepthGuard(Parser& p) : parser(p) {
      if (++parser.depth_ > parser.max_depth_) {
        fail_limit("template nesting deeper than " + std::to_string(parser.max_depth_) + " at " +
                   describe_position(parser.source_, parser.current().offset));
      }
    }
    ~DepthGuard() { --parser.depth_; }
    Parser& parser;
  };

  const Token& current() const { return tokens_[pos_]; }
  const Token& peek(std::size_t ahead = 1) const {
    return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)];
  }
  void advance() {
    if (pos_ + 1 < tokens_.size()) ++pos_;
  }

  static std::string describe(const Token& token) {
    switch (token.kind) {
      case TokenKind::data:
        return "template data";
      case TokenKind::variable_begin:
        return "'{{'";
      case TokenKind::variable_end:
        return "end of print statement";
      case TokenKind::block_begin:
        return "'{%'";
      case TokenKind::block_end:
        return "end of statement block";
      case TokenKind::name:
        return "'" + token.text + "'";
      case TokenKind::string:
        return "string";
      case TokenKind::integer:
      case TokenKind::floating:
        return "number";
      case TokenKind::op:
        return "'" + token.text + "'";
      case TokenKind::eof:
        return "end of template";
    }
    return "token";
  }

  [[noreturn]] void error_at(std::size_t offset, const std::string& message) const {
    fail("chat template syntax error at " + describe_position(source_, offset) + ": " + message);
  }
  [[noreturn]] void expected(const std::string& what) const {
    error_at(current().offset, "expected " + what + ", got " + describe(current()));
  }

  bool is_op(const char* op) const {
    return current().kind == TokenKind::op && current().text == op;
  }
  bool is_name(const char* name) const {
    return current().kind == TokenKind::name && current().text == name;
  }
  void expect_op(const char* op) {
    if (!is_op(op)) expected(std::string("'") + op + "'");
    advance();
  }
  std::string expect_name() {
    if (current().kind != TokenKind::name) expected("a name");
    std::string name = current().text;
    advance();
    return name;
  }
  void expect_block_end() {
    if (current().kind != TokenKind::block_end) expected("end of statement block");
    advance();
  }

  ExprPtr make(ExprKind kind, std::size_t offset) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->offset = offset;
    return e;
  }

  // Records the subtree height; long operator chains build deep trees without deep parser
  // recursion, so the height is checked here too.
  ExprPtr finish(ExprPtr e) {
    std::uint32_t h = 0;
    for (const ExprPtr* child : {&e->a, &e->b, &e->c, &e->d}) {
      if (*child) h = std::max(h, (*child)->depth);
    }
    for (const ExprPtr& item : e->items) {
      if (item) h = std::max(h, item->depth);
    }
    for (const auto& kw : e->keyword_args) h = std::max(h, kw.second->depth);
    e->depth = h + 1;
    if (e->depth > max_depth_) {
      fail_limit("expression nested deeper than " + std::to_string(max_depth_) + " at " +
                 describe_position(source_, e->offset));
    }
    return e;
  }

  // ---- statements ----

  // Parses statements until one of end_tags (returned, the block_begin and tag name consumed)
  // or the end of the template (returns "").
  std::string parse_body(StmtList& body, std::initializer_list<const char*> end_tags) {
    DepthGuard guard(*this);
    while (true) {
      const Token& token = current();
      switch (token.kind) {
        case TokenKind::data: {
          auto stmt = std::make_unique<Stmt>();
          stmt->kind = StmtKind::text;
          stmt->offset = token.offset;
          stmt->text = token.text;
          body.push_back(std::move(stmt));
          advance();
          break;
        }
        case TokenKind::variable_begin: {
          advance();
          auto stmt = std::make_unique<Stmt>();
          stmt->kind = StmtKind::output;
          stmt->offset = token.offset;
          stmt->expr = parse_tuple(true, false);
          if (current().kind != TokenKind::variable_end) expected("end of print statement");
          advance();
          body.push_back(std::move(stmt));
          break;
        }
        case TokenKind::block_begin: {
          advance();
          if (current().kind != TokenKind::name) expected("a statement name");
          std::string tag = current().text;
          for (const char* end : end_tags) {
            if (tag == end) {
              advance();
              return tag;
            }
          }
          body.push_back(parse_statement(end_tags));
          break;
        }
        case TokenKind::eof:
          if (end_tags.size() != 0) {
            std::string names;
            for (const char* end : end_tags)
              names += (names.empty() ? "'" : " or '") + std::string(end) + "'";
            error_at(token.offset, "unexpected end of template, expected " + names);
          }
          return "";
        default:
          expected("template data or a tag");
      }
    }
  }

  StmtPtr parse_statement(std::initializer_list<const char*> enclosing) {
    const Token& token = current();
    std::string tag = token.text;
    std::size_t offset = token.offset;
    advance();
    auto stmt = std::make_unique<Stmt>();
    stmt->offset = offset;
    if (tag == "if") return parse_if(std::move(stmt));
    if (tag == "for") return parse_for(std::move(stmt));
    if (tag == "set") return parse_set(std::move(stmt));
    if (tag == "macro") return parse_macro(std::move(stmt));
    if (tag == "call") return parse_call_block(std::move(stmt));
    if (tag == "filter") return parse_filter_block(std::move(stmt));
    if (tag == "with") return parse_with(std::move(stmt));
    if (tag == "generation") {
      stmt->kind = StmtKind::generation;
      expect_block_end();
      parse_body(stmt->body, {"endgeneration"});
      expect_block_end();
      return stmt;
    }
    if (tag == "break" || tag == "continue") {
      if (loop_depth_ == 0) error_at(offset, "'" + tag + "' outside of a for loop");
      stmt->kind = tag == "break" ? StmtKind::break_stmt : StmtKind::continue_stmt;
      expect_block_end();
      return stmt;
    }
    if (tag == "include" || tag == "import" || tag == "from" || tag == "extends" ||
        tag == "block" || tag == "autoescape" || tag == "do") {
      error_at(offset, "the '" + tag + "' tag is not supported in chat templates");
    }
    std::string message = "encountered unknown tag '" + tag + "'";
    if (enclosing.size() != 0) {
      message += ", expected ";
      bool first = true;
      for (const char* end : enclosing) {
        message += (first ? "'" : " or '") + std::string(end) + "'";
        first = false;
      }
    }
    error_at(offset, message);
  }

  StmtPtr parse_if(StmtPtr stmt) {
    stmt->kind = StmtKind::if_stmt;
    ExprPtr condition = parse_tuple(false, false);
    while (true) {
      expect_block_end();
      StmtList body;
      std::string end = parse_body(body, {"elif", "else", "endif"});
      stmt->branches.emplace_back(std::move(condition), std::move(body));
      if (end == "elif") {
        condition = parse_tuple(false, false);
        continue;
      }
      if (end == "else") {
        expect_block_end();
        StmtList else_body;
        parse_body(else_body, {"endif"});
        stmt->branches.emplace_back(nullptr, std::move(else_body));
      }
      expect_block_end();
      return stmt;
    }
  }

  Target parse_target(bool allow_namespace) {
    Target target;
    std::size_t offset = current().offset;
    bool parenthesized = is_op("(");
    if (parenthesized) advance();
    target.names.push_back(expect_name());
    if (allow_namespace && !parenthesized && is_op(".")) {
      advance();
      target.attribute = expect_name();
      return target;
    }
    while (is_op(",")) {
      advance();
      target.is_tuple = true;
      if (current().kind != TokenKind::name) break;
      target.names.push_back(expect_name());
    }
    if (parenthesized) {
      target.is_tuple = true;
      expect_op(")");
    }
    for (const std::string& name : target.names) {
      if (name == "true" || name == "false" || name == "none" || name == "True" ||
          name == "False" || name == "None") {
        error_at(offset, "cannot assign to '" + name + "'");
      }
    }
    return target;
  }

  StmtPtr parse_for(StmtPtr stmt) {
    stmt->kind = StmtKind::for_stmt;
    stmt->target = parse_target(false);
    if (!is_name("in")) expected("'in'");
    advance();
    stmt->expr = parse_tuple(false, false, "recursive");
    if (is_name("if")) {
      advance();
      stmt->condition = parse_expression(true);
    }
    if (is_name("recursive")) error_at(current().offset, "recursive for loops are not supported");
    expect_block_end();
    ++loop_depth_;
    std::string end = parse_body(stmt->body, {"endfor", "else"});
    --loop_depth_;
    if (end == "else") {
      expect_block_end();
      parse_body(stmt->else_body, {"endfor"});
    }
    expect_block_end();
    return stmt;
  }

  StmtPtr parse_set(StmtPtr stmt) {
    stmt->target = parse_target(true);
    if (is_op("=")) {
      advance();
      stmt->kind = StmtKind::set;
      stmt->expr = parse_tuple(true, false);
      expect_block_end();
      return stmt;
    }
    if (stmt->target.is_tuple || !stmt->target.attribute.empty()) {
      expected("'='");
    }
    stmt->kind = StmtKind::set_block;
    if (is_op("|")) stmt->expr = parse_filter_chain(nullptr, false);
    expect_block_end();
    parse_body(stmt->body, {"endset"});
    expect_block_end();
    return stmt;
  }

  void parse_params(std::vector<MacroParam>& params) {
    expect_op("(");
    while (!is_op(")")) {
      if (!params.empty()) expect_op(",");
      if (is_op(")")) break;
      MacroParam param;
      param.name = expect_name();
      if (is_op("=")) {
        advance();
        param.default_value = parse_expression(true);
      } else if (!params.empty() && params.back().default_value) {
        error_at(current().offset, "non-default argument follows default argument");
      }
      params.push_back(std::move(param));
    }
    advance();
  }

  StmtPtr parse_macro(StmtPtr stmt) {
    stmt->kind = StmtKind::macro;
    stmt->text = expect_name();
    parse_params(stmt->params);
    expect_block_end();
    std::size_t saved_loops = loop_depth_;
    loop_depth_ = 0;
    parse_body(stmt->body, {"endmacro"});
    loop_depth_ = saved_loops;
    expect_block_end();
    return stmt;
  }

  StmtPtr parse_call_block(StmtPtr stmt) {
    stmt->kind = StmtKind::call_block;
    if (is_op("(")) parse_params(stmt->params);
    stmt->expr = parse_expression(true);
    if (stmt->expr->kind != ExprKind::call) error_at(stmt->offset, "expected call");
    expect_block_end();
    std::size_t saved_loops = loop_depth_;
    loop_depth_ = 0;
    parse_body(stmt->body, {"endcall"});
    loop_depth_ = saved_loops;
    expect_block_end();
    return stmt;
  }

  StmtPtr parse_filter_block(StmtPtr stmt) {
    stmt->kind = StmtKind::filter_block;
    stmt->expr = parse_filter_chain(nullptr, true);
    expect_block_end();
    parse_body(stmt->body, {"endfilter"});
    expect_block_end();
    return stmt;
  }

  StmtPtr parse_with(StmtPtr stmt) {
    stmt->kind = StmtKind::with_block;
    while (current().kind != TokenKind::block_end) {
      if (!stmt->assignments.empty()) expect_op(",");
      Target target = parse_target(false);
      expect_op("=");
      stmt->assignments.emplace_back(std::move(target), parse_expression(true));
    }
    expect_block_end();
    parse_body(stmt->body, {"endwith"});
    expect_block_end();
    return stmt;
  }

  // ---- expressions ----

  bool is_tuple_end(const char* extra_end) const {
    const Token& t = current();
    if (t.kind == TokenKind::variable_end || t.kind == TokenKind::block_end ||
        t.kind == TokenKind::eof) {
      return true;
    }
    if (t.kind == TokenKind::op && t.text == ")") return true;
    return extra_end && t.kind == TokenKind::name && t.text == extra_end;
  }

  ExprPtr parse_tuple(bool with_condexpr, bool explicit_parens, const char* extra_end = nullptr) {
    DepthGuard guard(*this);
    std::size_t offset = current().offset;
    std::vector<ExprPtr> items;
    bool is_tuple = false;
    while (true) {
      if (!items.empty()) expect_op(",");
      if (is_tuple_end(extra_end)) break;
      items.push_back(parse_expression(with_condexpr));
      if (is_op(",")) {
        is_tuple = true;
      } else {
        break;
      }
    }
    if (!is_tuple) {
      if (!items.empty()) return std::move(items[0]);
      if (!explicit_parens) expected("an expression");
    }
    auto e = make(ExprKind::tuple, offset);
    e->items = std::move(items);
    return finish(std::move(e));
  }

  ExprPtr parse_expression(bool with_condexpr) {
    DepthGuard guard(*this);
    if (!with_condexpr) return parse_or();
    ExprPtr expr = parse_or();
    while (is_name("if")) {
      std::size_t offset = current().offset;
      advance();
      auto e = make(ExprKind::conditional, offset);
      e->a = parse_or();
      e->b = std::move(expr);
      if (is_name("else")) {
        advance();
        e->c = parse_expression(true);
      }
      expr = finish(std::move(e));
    }
    return expr;
  }

  ExprPtr parse_or() {
    ExprPtr left = parse_and();
    while (is_name("or")) {
      auto e = make(ExprKind::or_op, current().offset);
      advance();
      e->a = std::move(left);
      e->b = parse_and();
      left = finish(std::move(e));
    }
    return left;
  }

  ExprPtr parse_and() {
    ExprPtr left = parse_not();
    while (is_name("and")) {
      auto e = make(ExprKind::and_op, current().offset);
      advance();
      e->a = std::move(left);
      e->b = parse_not();
      left = finish(std::move(e));
    }
    return left;
  }

  ExprPtr parse_not() {
    if (is_name("not")) {
      DepthGuard guard(*this);
      auto e = make(ExprKind::not_op, current().offset);
      advance();
      e->a = parse_not();
      return finish(std::move(e));
    }
    return parse_compare();
  }

  ExprPtr parse_compare() {
    std::size_t offset = current().offset;
    ExprPtr first = parse_math1();
    auto e = make(ExprKind::compare, offset);
    while (true) {
      const Token& t = current();
      CompareOp op;
      if (t.kind == TokenKind::op && t.text == "==") {
        op = CompareOp::eq;
      } else if (t.kind == TokenKind::op && t.text == "!=") {
        op = CompareOp::ne;
      } else if (t.kind == TokenKind::op && t.text == "<") {
        op = CompareOp::lt;
      } else if (t.kind == TokenKind::op && t.text == "<=") {
        op = CompareOp::le;
      } else if (t.kind == TokenKind::op && t.text == ">") {
        op = CompareOp::gt;
      } else if (t.kind == TokenKind::op && t.text == ">=") {
        op = CompareOp::ge;
      } else if (t.kind == TokenKind::name && t.text == "in") {
        op = CompareOp::in;
      } else if (t.kind == TokenKind::name && t.text == "not" && peek().kind == TokenKind::name &&
                 peek().text == "in") {
        advance();
        op = CompareOp::not_in;
      } else {
        break;
      }
      advance();
      e->compare_ops.push_back(op);
      e->items.push_back(parse_math1());
    }
    if (e->compare_ops.empty()) return first;
    e->a = std::move(first);
    return finish(std::move(e));
  }

  ExprPtr binary(BinaryOp op, ExprPtr left, ExprPtr right, std::size_t offset) {
    auto e = make(ExprKind::binary, offset);
    e->binary_op = op;
    e->a = std::move(left);
    e->b = std::move(right);
    return finish(std::move(e));
  }

  ExprPtr parse_math1() {
    ExprPtr left = parse_concat();
    while (is_op("+") || is_op("-")) {
      BinaryOp op = is_op("+") ? BinaryOp::add : BinaryOp::sub;
      std::size_t offset = current().offset;
      advance();
      left = binary(op, std::move(left), parse_concat(), offset);
    }
    return left;
  }

  ExprPtr parse_concat() {
    std::size_t offset = current().offset;
    ExprPtr first = parse_math2();
    if (!is_op("~")) return first;
    auto e = make(ExprKind::concat, offset);
    e->items.push_back(std::move(first));
    while (is_op("~")) {
      advance();
      e->items.push_back(parse_math2());
    }
    return finish(std::move(e));
  }

  ExprPtr parse_math2() {
    ExprPtr left = parse_pow();
    while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
      BinaryOp op = is_op("*")    ? BinaryOp::mul
                    : is_op("/")  ? BinaryOp::div
                    : is_op("//") ? BinaryOp::floordiv
                                  : BinaryOp::mod;
      std::size_t offset = current().offset;
      advance();
      left = binary(op, std::move(left), parse_pow(), offset);
    }
    return left;
  }

  ExprPtr parse_pow() {
    ExprPtr left = parse_unary(true);
    while (is_op("**")) {
      std::size_t offset = current().offset;
      advance();
      left = binary(BinaryOp::pow, std::move(left), parse_unary(true), offset);
    }
    return left;
  }

  ExprPtr parse_unary(bool with_filter) {
    DepthGuard guard(*this);
    std::size_t offset = current().offset;
    ExprPtr node;
    if (is_op("-") || is_op("+")) {
      auto e = make(is_op("-") ? ExprKind::negate : ExprKind::plus, offset);
      advance();
      e->a = parse_unary(false);
      node = finish(std::move(e));
    } else {
      node = parse_primary();
    }
    node = parse_postfix(std::move(node));
    if (with_filter) node = parse_filter_expr(std::move(node));
    return node;
  }

  ExprPtr literal(Value value, std::size_t offset) {
    auto e = make(ExprKind::literal, offset);
    e->literal = std::move(value);
    return e;
  }

  ExprPtr parse_primary() {
    DepthGuard guard(*this);
    const Token& t = current();
    std::size_t offset = t.offset;
    switch (t.kind) {
      case TokenKind::name: {
        std::string name = t.text;
        advance();
        if (name == "true" || name == "True") return literal(Value::boolean(true), offset);
        if (name == "false" || name == "False") return literal(Value::boolean(false), offset);
        if (name == "none" || name == "None") return literal(Value::none(), offset);
        auto e = make(ExprKind::name, offset);
        e->name = std::move(name);
        return e;
      }
      case TokenKind::string: {
        std::string text;
        while (current().kind == TokenKind::string) {
          text += current().text;
          advance();
        }
        return literal(Value::string(std::move(text)), offset);
      }
      case TokenKind::integer: {
        std::int64_t v = t.int_value;
        advance();
        return literal(Value::integer(v), offset);
      }
      case TokenKind::floating: {
        double v = t.float_value;
        advance();
        return literal(Value::floating(v), offset);
      }
      case TokenKind::op:
        if (t.text == "(") {
          advance();
          ExprPtr inner = parse_tuple(true, true);
          expect_op(")");
          return inner;
        }
        if (t.text == "[") return parse_list();
        if (t.text == "{") return parse_dict();
        break;
      default:
        break;
    }
    expected("an expression");
  }

  ExprPtr parse_list() {
    auto e = make(ExprKind::list, current().offset);
    advance();
    while (!is_op("]")) {
      if (!e->items.empty()) expect_op(",");
      if (is_op("]")) break;
      e->items.push_back(parse_expression(true));
    }
    advance();
    return finish(std::move(e));
  }

  ExprPtr parse_dict() {
    auto e = make(ExprKind::dict, current().offset);
    advance();
    while (!is_op("}")) {
      if (!e->items.empty()) expect_op(",");
      if (is_op("}")) break;
      e->items.push_back(parse_expression(true));
      expect_op(":");
      e->items.push_back(parse_expression(true));
    }
    advance();
    return finish(std::move(e));
  }

  ExprPtr parse_postfix(ExprPtr node) {
    while (true) {
      if (is_op(".") || is_op("[")) {
        node = parse_subscript(std::move(node));
      } else if (is_op("(")) {
        node = parse_call(std::move(node));
      } else {
        return node;
      }
    }
  }

  ExprPtr parse_filter_expr(ExprPtr node) {
    while (true) {
      if (is_op("|")) {
        node = parse_filter_chain(std::move(node), false);
      } else if (is_name("is")) {
        node = parse_test(std::move(node));
      } else if (is_op("(")) {
        node = parse_call(std::move(node));
      } else {
        return node;
      }
    }
  }

  ExprPtr parse_subscript(ExprPtr node) {
    std::size_t offset = current().offset;
    if (is_op(".")) {
      advance();
      if (current().kind == TokenKind::name) {
        auto e = make(ExprKind::attribute, offset);
        e->a = std::move(node);
        e->name = current().text;
        advance();
        return finish(std::move(e));
      }
      if (current().kind == TokenKind::integer) {
        auto e = make(ExprKind::item, offset);
        e->a = std::move(node);
        e->b = literal(Value::integer(current().int_value), current().offset);
        advance();
        return finish(std::move(e));
      }
      expected("a name or number after '.'");
    }
    advance();  // '['
    std::vector<ExprPtr> args;
    while (!is_op("]")) {
      if (!args.empty()) {
        expect_op(",");
        if (is_op("]")) break;
      }
      args.push_back(parse_subscribed());
    }
    advance();
    auto e = make(ExprKind::item, offset);
    e->a = std::move(node);
    if (args.size() == 1) {
      if (args[0]->kind == ExprKind::slice && !args[0]->a) {
        // a[b:c]: the slice node takes the container as its first operand.
        args[0]->a = std::move(e->a);
        return finish(std::move(args[0]));
      }
      e->b = std::move(args[0]);
    } else {
      if (args.empty()) expected("a subscript");
      for (const ExprPtr& arg : args) {
        // A slice node only exists as a container's whole subscript (a[b:c]).
        if (arg->kind == ExprKind::slice && !arg->a) {
          error_at(arg->offset, "a slice inside a subscript of several parts is not supported");
        }
      }
      auto tuple = make(ExprKind::tuple, offset);
      tuple->items = std::move(args);
      e->b = finish(std::move(tuple));
    }
    return finish(std::move(e));
  }

  // One subscript: an expression or a slice start:stop:step (slice node without container).
  ExprPtr parse_subscribed() {
    std::size_t offset = current().offset;
    ExprPtr start;
    if (!is_op(":")) {
      start = parse_expression(true);
      if (!is_op(":")) return start;
    }
    advance();
    auto e = make(ExprKind::slice, offset);
    e->b = std::move(start);
    if (!is_op("]") && !is_op(",") && !is_op(":")) e->c = parse_expression(true);
    if (is_op(":")) {
      advance();
      if (!is_op("]") && !is_op(",")) e->d = parse_expression(true);
    }
    return finish(std::move(e));
  }

  void parse_call_args(Expr& e) {
    expect_op("(");
    bool first = true;
    while (!is_op(")")) {
      if (!first) {
        expect_op(",");
        if (is_op(")")) break;
      }
      first = false;
      if (is_op("*") || is_op("**")) {
        error_at(current().offset, "*args and **kwargs in calls are not supported");
      }
      if (current().kind == TokenKind::name && peek().kind == TokenKind::op && peek().text == "=") {
        std::string key = current().text;
        advance();
        advance();
        e.keyword_args.emplace_back(std::move(key), parse_expression(true));
      } else {
        if (!e.keyword_args.empty()) {
          error_at(current().offset, "positional argument follows keyword argument");
        }
        e.items.push_back(parse_expression(true));
      }
    }
    advance();
  }

  ExprPtr parse_call(ExprPtr node) {
    auto e = make(ExprKind::call, current().offset);
    e->a = std::move(node);
    parse_call_args(*e);
    return finish(std::move(e));
  }

  std::string dotted_name() {
    std::string name = expect_name();
    while (is_op(".")) {
      advance();
      name += "." + expect_name();
    }
    return name;
  }

  // |f1(args)|f2... ; with start_inline the first "|" is absent ({% filter f %}).
  ExprPtr parse_filter_chain(ExprPtr node, bool start_inline) {
    while (is_op("|") || start_inline) {
      if (!start_inline) advance();
      start_inline = false;
      std::size_t offset = current().offset;
      auto e = make(ExprKind::filter, offset);
      e->name = dotted_name();
      if (!is_known_filter(e->name)) error_at(offset, "no filter named '" + e->name + "'");
      e->a = std::move(node);
      if (is_op("(")) parse_call_args(*e);
      node = finish(std::move(e));
    }
    return node;
  }

  ExprPtr parse_test(ExprPtr node) {
    std::size_t offset = current().offset;
    advance();  // is
    auto e = make(ExprKind::test, offset);
    if (is_name("not")) {
      advance();
      e->negated = true;
    }
    std::size_t name_offset = current().offset;
    e->name = dotted_name();
    if (!is_known_test(e->name)) error_at(name_offset, "no test named '" + e->name + "'");
    e->a = std::move(node);
    const Token& t = current();
    if (is_op("(")) {
      parse_call_args(*e);
    } else if ((t.kind == TokenKind::name || t.kind == TokenKind::string ||
                t.kind == TokenKind::integer || t.kind == TokenKind::floating ||
                (t.kind == TokenKind::op && (t.text == "[" || t.text == "{"))) &&
               !(t.kind == TokenKind::name &&
                 (t.text == "else" || t.text == "or" || t.text == "and"))) {
      if (is_name("is")) error_at(t.offset, "you cannot chain multiple tests with 'is'");
      e->items.push_back(parse_postfix(parse_primary()));
    }
    return finish(std::move(e));
  }

  std::string source_;
  std::vector<Token> tokens_;
  std::size_t pos_ = 0;
  std::size_t depth_ = 0;
  std::size_t max_depth_;
  std::size_t loop_depth_ = 0;
};

}  // namespace

ParsedTemplate parse_template(LexedTemplate lexed, std::size_t max_depth) {
  return Parser(std::move(lexed), max_depth).run();
}

}  // namespace r1::tmpl
