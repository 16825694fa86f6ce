// Splits template source into tokens exactly as jinja2's lexer does for transformers'
// environment: trim_blocks, lstrip_blocks, "-"/"+" whitespace control, raw blocks, comments,
// newline normalization and the dropped trailing newline.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace r1::tmpl {

enum class TokenKind {
  data,            // literal template text (already whitespace-processed)
  variable_begin,  // {{
  variable_end,    // }}
  block_begin,     // {%
  block_end,       // %}
  name,
  string,  // text holds the unescaped value
  integer,
  floating,
  op,  // text holds the operator
  eof,
};

struct Token {
  TokenKind kind;
  std::string text;
  std::int64_t int_value = 0;
  double float_value = 0.0;
  std::size_t offset = 0;  // byte offset in the normalized source
};

/// The normalized source (newlines turned into "\n", one trailing newline dropped) and its
/// tokens. Offsets of tokens refer to `source`.
struct LexedTemplate {
  std::string source;
  std::vector<Token> tokens;
};

/// Tokenizes. Throws Error(template_error) with line and column on malformed input.
LexedTemplate lex_template(std::string_view source);

/// "line L, column C" for a byte offset of the normalized source.
std::string describe_position(std::string_view source, std::size_t offset);

}  // namespace r1::tmpl
