// Builds the syntax tree from tokens, following jinja2's grammar and operator precedence.
#pragma once

#include <cstddef>
#include <string>

#include "template/ast.h"
#include "template/lexer.h"

namespace r1::tmpl {

/// A parsed template: its normalized source (for error positions) and statements.
struct ParsedTemplate {
  std::string source;
  StmtList body;
};

/// Parses. Throws Error(template_error) with line, column and what was expected for syntax
/// errors, unknown filters and tests, Error(limit_exceeded) when nesting exceeds max_depth.
ParsedTemplate parse_template(LexedTemplate lexed, std::size_t max_depth);

}  // namespace r1::tmpl
