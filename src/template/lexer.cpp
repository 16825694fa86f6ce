#include "template/lexer.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "core/utf8.h"
#include "template/errors.h"
#include "template/unicode_text.h"

namespace r1::tmpl {
namespace {

enum class TagKind { variable, block, comment };

// Python's \s for the code point that starts at text[pos]; returns its byte length or 0.
std::size_t whitespace_length(std::string_view text, std::size_t pos) {
  unsigned char c = static_cast<unsigned char>(text[pos]);
  if (c < 0x80) return py_isspace(c) ? 1 : 0;
  std::size_t len = utf8::valid_sequence_length(text, pos);
  if (len == 0) return 0;
  std::size_t p = pos;
  return py_isspace(utf8::decode_at(text, p)) ? len : 0;
}

std::size_t skip_whitespace(std::string_view text, std::size_t pos) {
  while (pos < text.size()) {
    std::size_t len = whitespace_length(text, pos);
    if (len == 0) break;
    pos += len;
  }
  return pos;
}

// Python's str.rstrip() (Unicode whitespace).
std::string_view rstrip_whitespace(std::string_view text) {
  std::u32string cps = decode_utf8(text);
  std::size_t keep = cps.size();
  while (keep > 0 && py_isspace(cps[keep - 1])) --keep;
  std::size_t bytes = 0;
  for (std::size_t i = 0; i < keep; ++i) {
    char32_t cp = cps[i];
    bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return text.substr(0, bytes);
}

bool all_whitespace(std::string_view text) {
  if (text.empty()) return false;
  std::size_t end = skip_whitespace(text, 0);
  return end == text.size();
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_name_char(char c) {
  return is_name_start(c) || is_digit(c);
}

class Lexer {
 public:
  explicit Lexer(std::string source) { result_.source = std::move(source); }

  LexedTemplate run() {
    const std::string& src = result_.source;
    std::size_t pos = 0;
    while (pos < src.size()) {
      std::size_t start = find_tag_start(pos);
      if (start == std::string::npos) {
        emit_data(std::string_view(src).substr(pos), pos);
        break;
      }
      pos = lex_tag(pos, start);
    }
    result_.tokens.push_back(Token{TokenKind::eof, "", 0, 0.0, src.size()});
    return std::move(result_);
  }

 private:
  [[noreturn]] void error(std::size_t offset, const std::string& message) {
    fail("chat template syntax error at " + describe_position(result_.source, offset) + ": " +
         message);
  }

  std::size_t find_tag_start(std::size_t pos) const {
    const std::string& src = result_.source;
    while (true) {
      std::size_t brace = src.find('{', pos);
      if (brace == std::string::npos || brace + 1 >= src.size()) return std::string::npos;
      char next = src[brace + 1];
      if (next == '{' || next == '%' || next == '#') return brace;
      pos = brace + 1;
    }
  }

  void emit_data(std::string_view text, std::size_t offset) {
    if (!text.empty())
      result_.tokens.push_back(Token{TokenKind::data, std::string(text), 0, 0.0, offset});
  }

  // Applies "-" / lstrip_blocks to the text before a tag (jinja2's OptionalLStrip).
  std::string_view strip_before_tag(std::string_view text, char sign, bool is_variable) const {
    if (sign == '-') return rstrip_whitespace(text);
    if (sign != '+' && !is_variable) {
      std::size_t newline = text.rfind('\n');
      std::size_t line_begin = newline == std::string_view::npos ? 0 : newline + 1;
      if ((line_begin > 0 || line_starting_) && all_whitespace(text.substr(line_begin))) {
        return text.substr(0, line_begin);
      }
    }
    return text;
  }

  // Matches a block end ("+%}", "-%}\s*" or "%}\n?") at pos; returns the end or npos.
  std::size_t match_block_end(std::size_t pos, bool allow_plus) const {
    const std::string& src = result_.source;
    if (allow_plus && src.compare(pos, 3, "+%}") == 0) return pos + 3;
    if (src.compare(pos, 3, "-%}") == 0) return skip_whitespace(src, pos + 3);
    if (src.compare(pos, 2, "%}") == 0) {
      std::size_t end = pos + 2;
      if (end < src.size() && src[end] == '\n') ++end;  // trim_blocks
      return end;
    }
    return std::string::npos;
  }

  void set_line_starting(std::size_t match_end) {
    line_starting_ = match_end > 0 && result_.source[match_end - 1] == '\n';
  }

  // Lexes the tag at `start` (text before it begins at `pos`); returns the position after it.
  std::size_t lex_tag(std::size_t pos, std::size_t start) {
    const std::string& src = result_.source;
    std::string_view text = std::string_view(src).substr(pos, start - pos);
    char type = src[start + 1];
    char sign = start + 2 < src.size() && (src[start + 2] == '-' || src[start + 2] == '+')
                    ? src[start + 2]
                    : '\0';
    std::size_t inner = start + 2 + (sign ? 1 : 0);
    if (type == '%') {
      std::size_t raw_end = match_raw_begin(inner);
      if (raw_end != std::string::npos) {
        emit_data(strip_before_tag(text, sign, false), pos);
        set_line_starting(raw_end);
        return lex_raw_body(raw_end, start);
      }
    }
    emit_data(strip_before_tag(text, sign, type == '{'), pos);
    if (type == '#') return lex_comment(inner, start);
    TagKind kind = type == '{' ? TagKind::variable : TagKind::block;
    result_.tokens.push_back(
        Token{kind == TagKind::variable ? TokenKind::variable_begin : TokenKind::block_begin, "", 0,
              0.0, start});
    return lex_inside_tag(inner, kind, start);
  }

  // "{%[-+]?\s*raw\s*(-%}\s*|%})" after the "{%" and sign; returns the end or npos.
  std::size_t match_raw_begin(std::size_t pos) const {
    const std::string& src = result_.source;
    pos = skip_whitespace(src, pos);
    if (src.compare(pos, 3, "raw") != 0) return std::string::npos;
    pos = skip_whitespace(src, pos + 3);
    if (src.compare(pos, 3, "-%}") == 0) return skip_whitespace(src, pos + 3);
    if (src.compare(pos, 2, "%}") == 0) return pos + 2;
    return std::string::npos;
  }

  std::size_t lex_raw_body(std::size_t body, std::size_t tag_start) {
    const std::string& src = result_.source;
    std::size_t search = body;
    while (true) {
      std::size_t open = src.find("{%", search);
      if (open == std::string::npos) error(tag_start, "missing end of raw directive");
      char sign = open + 2 < src.size() && (src[open + 2] == '-' || src[open + 2] == '+')
                      ? src[open + 2]
                      : '\0';
      std::size_t p = skip_whitespace(src, open + 2 + (sign ? 1 : 0));
      if (src.compare(p, 6, "endraw") == 0) {
        p = skip_whitespace(src, p + 6);
        std::size_t end = match_block_end(p, true);
        if (end != std::string::npos) {
          std::string_view text = std::string_view(src).substr(body, open - body);
          emit_data(strip_before_tag(text, sign, false), body);
          set_line_starting(end);
          return end;
        }
      }
      search = open + 2;
    }
  }

  std::size_t lex_comment(std::size_t inner, std::size_t tag_start) {
    const std::string& src = result_.source;
    std::size_t close = src.find("#}", inner);
    if (close == std::string::npos) error(tag_start, "missing end of comment tag");
    std::size_t end;
    if (close > inner && src[close - 1] == '-') {
      end = skip_whitespace(src, close + 2);
    } else if (close > inner && src[close - 1] == '+') {
      end = close + 2;
    } else {
      end = close + 2;
      if (end < src.size() && src[end] == '\n') ++end;  // trim_blocks
    }
    set_line_starting(end);
    return end;
  }

  std::size_t lex_inside_tag(std::size_t pos, TagKind kind, std::size_t tag_start) {
    const std::string& src = result_.source;
    std::vector<char> balance;
    while (true) {
      if (pos >= src.size()) {
        error(tag_start, kind == TagKind::variable
                             ? "unexpected end of template, expected '}}' to close the print tag"
                             : "unexpected end of template, expected '%}' to close the block tag");
      }
      if (balance.empty()) {
        std::size_t end = std::string::npos;
        if (kind == TagKind::block) {
          end = match_block_end(pos, true);
        } else if (src.compare(pos, 3, "-}}") == 0) {
          end = skip_whitespace(src, pos + 3);
        } else if (src.compare(pos, 2, "}}") == 0) {
          end = pos + 2;
        }
        if (end != std::string::npos) {
          result_.tokens.push_back(
              Token{kind == TagKind::variable ? TokenKind::variable_end : TokenKind::block_end, "",
                    0, 0.0, pos});
          set_line_starting(end);
          return end;
        }
      }
      std::size_t ws = whitespace_length(src, pos);
      if (ws > 0) {
        pos += ws;
        continue;
      }
      char c = src[pos];
      if (is_digit(c)) {
        pos = lex_number(pos);
      } else if (is_name_start(c)) {
        std::size_t end = pos;
        while (end < src.size() && is_name_char(src[end])) ++end;
        result_.tokens.push_back(Token{TokenKind::name, src.substr(pos, end - pos), 0, 0.0, pos});
        pos = end;
      } else if (c == '\'' || c == '"') {
        pos = lex_string(pos);
      } else {
        pos = lex_operator(pos, balance);
      }
    }
  }

  // Digits with optional single underscores between them; returns the end.
  std::size_t digits_end(std::size_t pos, bool (*digit)(char)) const {
    const std::string& src = result_.source;
    std::size_t end = pos;
    while (end < src.size()) {
      if (digit(src[end])) {
        ++end;
      } else if (src[end] == '_' && end > pos && end + 1 < src.size() && digit(src[end + 1])) {
        ++end;
      } else {
        break;
      }
    }
    return end;
  }

  std::size_t lex_number(std::size_t pos) {
    const std::string& src = result_.source;
    auto decimal = [](char c) { return is_digit(c); };
    std::size_t int_end = digits_end(pos, decimal);
    std::size_t end = int_end;
    bool is_float = false;
    if (end + 1 < src.size() && src[end] == '.' && is_digit(src[end + 1])) {
      end = digits_end(end + 1, decimal);
      is_float = true;
    }
    if (end < src.size() && (src[end] == 'e' || src[end] == 'E')) {
      std::size_t exp = end + 1;
      if (exp < src.size() && (src[exp] == '+' || src[exp] == '-')) ++exp;
      if (exp < src.size() && is_digit(src[exp])) {
        end = digits_end(exp, decimal);
        is_float = true;
      }
    }
    std::string text;
    for (std::size_t i = pos; i < end; ++i) {
      if (src[i] != '_') text += src[i];
    }
    Token token{TokenKind::integer, src.substr(pos, end - pos), 0, 0.0, pos};
    if (is_float) {
      token.kind = TokenKind::floating;
      token.float_value = std::strtod(text.c_str(), nullptr);
    } else if (text.size() > 1 && text[0] == '0' &&
               (text[1] == 'x' || text[1] == 'X' || text[1] == 'o' || text[1] == 'O' ||
                text[1] == 'b' || text[1] == 'B')) {
      int base = (text[1] == 'x' || text[1] == 'X')   ? 16
                 : (text[1] == 'o' || text[1] == 'O') ? 8
                                                      : 2;
      std::size_t digits_begin = pos + 2;
      std::size_t e = digits_begin;
      std::string value;
      while (e < src.size() &&
             (std::isxdigit(static_cast<unsigned char>(src[e])) || src[e] == '_')) {
        if (src[e] != '_') value += src[e];
        ++e;
      }
      if (value.empty()) error(pos, "invalid integer literal");
      errno = 0;
      unsigned long long v = std::strtoull(value.c_str(), nullptr, base);
      if (errno != 0 || v > static_cast<unsigned long long>(INT64_MAX)) {
        fail_limit("integer literal does not fit in 64 bits at " + describe_position(src, pos));
      }
      token.int_value = static_cast<std::int64_t>(v);
      token.text = src.substr(pos, e - pos);
      end = e;
    } else {
      errno = 0;
      unsigned long long v = std::strtoull(text.c_str(), nullptr, 10);
      if (errno != 0 || v > static_cast<unsigned long long>(INT64_MAX)) {
        fail_limit("integer literal does not fit in 64 bits at " + describe_position(src, pos));
      }
      token.int_value = static_cast<std::int64_t>(v);
    }
    (void)int_end;
    result_.tokens.push_back(std::move(token));
    return end;
  }

  std::size_t lex_string(std::size_t pos) {
    const std::string& src = result_.source;
    char quote = src[pos];
    std::size_t i = pos + 1;
    std::string value;
    while (true) {
      if (i >= src.size()) error(pos, "unterminated string literal");
      char c = src[i];
      if (c == quote) break;
      if (c != '\\') {
        value += c;
        ++i;
        continue;
      }
      if (i + 1 >= src.size()) error(pos, "unterminated string literal");
      char e = src[i + 1];
      i += 2;
      switch (e) {
        case '\n':
          break;
        case '\\':
          value += '\\';
          break;
        case '\'':
          value += '\'';
          break;
        case '"':
          value += '"';
          break;
        case 'a':
          value += '\a';
          break;
        case 'b':
          value += '\b';
          break;
        case 'f':
          value += '\f';
          break;
        case 'n':
          value += '\n';
          break;
        case 'r':
          value += '\r';
          break;
        case 't':
          value += '\t';
          break;
        case 'v':
          value += '\v';
          break;
        case 'x':
        case 'u':
        case 'U': {
          std::size_t count = e == 'x' ? 2 : e == 'u' ? 4 : 8;
          if (i + count > src.size()) error(i, "truncated \\" + std::string(1, e) + " escape");
          std::string hex = src.substr(i, count);
          for (char h : hex) {
            if (!std::isxdigit(static_cast<unsigned char>(h))) {
              error(i, "truncated \\" + std::string(1, e) + " escape");
            }
          }
          unsigned long cp = std::strtoul(hex.c_str(), nullptr, 16);
          if (cp > 0x10FFFF) error(i, "illegal Unicode character in escape");
          if (cp >= 0xD800 && cp <= 0xDFFF) cp = utf8::kReplacement;
          utf8::append(value, static_cast<char32_t>(cp));
          i += count;
          break;
        }
        default:
          if (e >= '0' && e <= '7') {
            unsigned cp = static_cast<unsigned>(e - '0');
            for (int k = 0; k < 2 && i < src.size() && src[i] >= '0' && src[i] <= '7'; ++k, ++i) {
              cp = cp * 8 + static_cast<unsigned>(src[i] - '0');
            }
            utf8::append(value, static_cast<char32_t>(cp));
          } else {
            // Python keeps unknown escapes as they are.
            value += '\\';
            value += e;
          }
      }
    }
    result_.tokens.push_back(Token{TokenKind::string, std::move(value), 0, 0.0, pos});
    return i + 1;
  }

  std::size_t lex_operator(std::size_t pos, std::vector<char>& balance) {
    const std::string& src = result_.source;
    static const char* const kTwoChar[] = {"**", "//", "==", "!=", "<=", ">="};
    for (const char* op : kTwoChar) {
      if (src.compare(pos, 2, op) == 0) {
        result_.tokens.push_back(Token{TokenKind::op, op, 0, 0.0, pos});
        return pos + 2;
      }
    }
    char c = src[pos];
    if (!std::strchr("+-*/%~()[]{}|,.:;=<>", c) || c == '\0') {
      std::size_t len = std::max<std::size_t>(1, utf8::valid_sequence_length(src, pos));
      error(pos, "unexpected character '" + src.substr(pos, len) + "'");
    }
    if (c == '(' || c == '[' || c == '{') {
      balance.push_back(c == '(' ? ')' : c == '[' ? ']' : '}');
    } else if (c == ')' || c == ']' || c == '}') {
      if (balance.empty()) error(pos, std::string("unexpected '") + c + "'");
      if (balance.back() != c) {
        error(pos, std::string("unexpected '") + c + "', expected '" + balance.back() + "'");
      }
      balance.pop_back();
    }
    result_.tokens.push_back(Token{TokenKind::op, std::string(1, c), 0, 0.0, pos});
    return pos + 1;
  }

  LexedTemplate result_;
  bool line_starting_ = true;
};

}  // namespace

std::string describe_position(std::string_view source, std::size_t offset) {
  offset = std::min(offset, source.size());
  std::size_t line = 1;
  std::size_t line_begin = 0;
  for (std::size_t i = 0; i < offset; ++i) {
    if (source[i] == '\n') {
      ++line;
      line_begin = i + 1;
    }
  }
  std::size_t column = code_point_count(source.substr(line_begin, offset - line_begin)) + 1;
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

LexedTemplate lex_template(std::string_view source) {
  if (auto bad = utf8::find_invalid(source)) {
    fail("chat template is not valid UTF-8 at byte " + std::to_string(*bad));
  }
  std::string normalized;
  normalized.reserve(source.size());
  for (std::size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\r') {
      normalized += '\n';
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
    } else {
      normalized += source[i];
    }
  }
  // keep_trailing_newline=False: jinja2 drops one trailing newline of the source.
  if (!normalized.empty() && normalized.back() == '\n') normalized.pop_back();
  return Lexer(std::move(normalized)).run();
}

}  // namespace r1::tmpl
