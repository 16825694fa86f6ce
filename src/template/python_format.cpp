#include "template/python_format.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "core/utf8.h"
#include "template/errors.h"
#include "template/unicode_text.h"

namespace r1::tmpl {
namespace {

// Containers nest at most this deep when printed (namespaces can refer to themselves).
constexpr int kMaxPrintDepth = 512;

// Printed text may grow to this size (the default max_value_bytes): a list holding the same
// long string many times is cheap to build but its repr or JSON is not.
constexpr std::size_t kMaxPrintBytes = std::size_t{64} << 20;

void check_depth(int depth) {
  if (depth > kMaxPrintDepth) fail_limit("value nested too deeply to print");
}

void check_size(const std::string& out) {
  if (out.size() > kMaxPrintBytes) {
    fail_limit("printed value exceeds " + std::to_string(kMaxPrintBytes) + " bytes");
  }
}

// Decodes the code point at pos (ASCII without a table lookup) and advances pos.
char32_t next_code_point(const std::string& text, std::size_t& pos) {
  auto c = static_cast<unsigned char>(text[pos]);
  if (c < 0x80 || utf8::valid_sequence_length(text, pos) == 0) {
    ++pos;
    return c < 0x80 ? c : utf8::kReplacement;
  }
  return utf8::decode_at(text, pos);
}

void append_hex(std::string& out, char prefix, unsigned value, int digits) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "\\%c%0*x", prefix, digits, value);
  out += buf;
}

std::string string_repr(const std::string& text) {
  bool has_single = text.find('\'') != std::string::npos;
  bool has_double = text.find('"') != std::string::npos;
  char quote = has_single && !has_double ? '"' : '\'';
  std::string out(1, quote);
  for (std::size_t pos = 0; pos < text.size();) {
    char32_t cp = next_code_point(text, pos);
    if (cp == static_cast<char32_t>(quote) || cp == '\\') {
      out += '\\';
      out += static_cast<char>(cp);
    } else if (cp == '\t') {
      out += "\\t";
    } else if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (cp < 0x20 || cp == 0x7F) {
      append_hex(out, 'x', cp, 2);
    } else if (cp < 0x80 || py_isprintable(cp)) {
      utf8::append(out, cp);
    } else if (cp < 0x100) {
      append_hex(out, 'x', cp, 2);
    } else if (cp < 0x10000) {
      append_hex(out, 'u', cp, 4);
    } else {
      append_hex(out, 'U', cp, 8);
    }
  }
  out += quote;
  return out;
}

void repr_into(std::string& out, const Value& value, int depth);

void repr_dict_items(std::string& out, const Dict& dict, int depth) {
  out += '{';
  bool first = true;
  for (const auto& [key, item] : dict.items()) {
    if (!first) out += ", ";
    first = false;
    repr_into(out, key, depth + 1);
    out += ": ";
    repr_into(out, item, depth + 1);
    check_size(out);
  }
  out += '}';
}

void repr_into(std::string& out, const Value& value, int depth) {
  check_depth(depth);
  switch (value.kind()) {
    case ValueKind::undefined:
      out += "Undefined";
      return;
    case ValueKind::none:
      out += "None";
      return;
    case ValueKind::boolean:
      out += value.as_bool() ? "True" : "False";
      return;
    case ValueKind::integer:
      out += std::to_string(value.as_int());
      return;
    case ValueKind::floating:
      out += float_repr(value.as_double());
      return;
    case ValueKind::string:
      out += string_repr(value.as_string());
      return;
    case ValueKind::list: {
      const ValueList& items = value.as_list();
      out += value.is_tuple() ? '(' : '[';
      for (std::size_t i = 0; i < items.size(); ++i) {
        if (i) out += ", ";
        repr_into(out, items[i], depth + 1);
        check_size(out);
      }
      if (value.is_tuple() && items.size() == 1) out += ',';
      out += value.is_tuple() ? ')' : ']';
      return;
    }
    case ValueKind::dict:
      repr_dict_items(out, value.as_dict(), depth);
      return;
    case ValueKind::name_space:
      out += "<Namespace ";
      repr_dict_items(out, value.as_namespace().attributes, depth);
      out += '>';
      return;
    case ValueKind::callable: {
      const Callable& fn = value.as_callable();
      if (fn.is_macro) {
        out += "<Macro " + string_repr(fn.name) + ">";
      } else {
        out += "<built-in function " + fn.name + ">";
      }
      return;
    }
    case ValueKind::loop: {
      const LoopState& loop = value.as_loop();
      out += "<LoopContext " + std::to_string(loop.index0 + 1) + "/" +
             std::to_string(loop.items->size()) + ">";
      return;
    }
  }
}

void json_string(std::string& out, const std::string& text, bool ensure_ascii) {
  out += '"';
  for (std::size_t pos = 0; pos < text.size();) {
    char32_t cp = next_code_point(text, pos);
    switch (cp) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (cp < 0x20 || (ensure_ascii && cp >= 0x7F && cp < 0x10000)) {
          append_hex(out, 'u', cp, 4);
        } else if (ensure_ascii && cp >= 0x10000) {
          char32_t v = cp - 0x10000;
          append_hex(out, 'u', 0xD800 + (v >> 10), 4);
          append_hex(out, 'u', 0xDC00 + (v & 0x3FF), 4);
        } else {
          utf8::append(out, cp);
        }
    }
  }
  out += '"';
}

std::string json_float(double f) {
  if (std::isnan(f)) return "NaN";
  if (std::isinf(f)) return f > 0 ? "Infinity" : "-Infinity";
  return float_repr(f);
}

std::string json_key(const Value& key) {
  switch (key.kind()) {
    case ValueKind::string:
      return key.as_string();
    case ValueKind::boolean:
      return key.as_bool() ? "true" : "false";
    case ValueKind::integer:
      return std::to_string(key.as_int());
    case ValueKind::floating:
      return json_float(key.as_double());
    case ValueKind::none:
      return "null";
    default:
      fail("keys must be str, int, float, bool or None, not " + python_repr(key));
  }
}

void newline_indent(std::string& out, const JsonDumpOptions& options, int level) {
  out += '\n';
  for (int i = 0; i < level; ++i) out += *options.indent;
}

void json_into(std::string& out, const Value& value, const JsonDumpOptions& options, int depth) {
  check_depth(depth);
  switch (value.kind()) {
    case ValueKind::none:
      out += "null";
      return;
    case ValueKind::boolean:
      out += value.as_bool() ? "true" : "false";
      return;
    case ValueKind::integer:
      out += std::to_string(value.as_int());
      return;
    case ValueKind::floating:
      out += json_float(value.as_double());
      return;
    case ValueKind::string:
      json_string(out, value.as_string(), options.ensure_ascii);
      return;
    case ValueKind::list: {
      const ValueList& items = value.as_list();
      if (items.empty()) {
        out += "[]";
        return;
      }
      out += '[';
      for (std::size_t i = 0; i < items.size(); ++i) {
        if (i) out += options.item_separator;
        if (options.indent) newline_indent(out, options, depth + 1);
        json_into(out, items[i], options, depth + 1);
        check_size(out);
      }
      if (options.indent) newline_indent(out, options, depth);
      out += ']';
      return;
    }
    case ValueKind::dict: {
      std::vector<std::pair<std::string, const Value*>> entries;
      for (const auto& [key, item] : value.as_dict().items()) {
        entries.emplace_back(json_key(key), &item);
      }
      if (entries.empty()) {
        out += "{}";
        return;
      }
      if (options.sort_keys) {
        std::stable_sort(entries.begin(), entries.end(),
                         [](const auto& a, const auto& b) { return a.first < b.first; });
      }
      out += '{';
      for (std::size_t i = 0; i < entries.size(); ++i) {
        if (i) out += options.item_separator;
        if (options.indent) newline_indent(out, options, depth + 1);
        json_string(out, entries[i].first, options.ensure_ascii);
        out += options.key_separator;
        json_into(out, *entries[i].second, options, depth + 1);
        check_size(out);
      }
      if (options.indent) newline_indent(out, options, depth);
      out += '}';
      return;
    }
    case ValueKind::undefined:
      fail("Object of type Undefined is not JSON serializable");
    case ValueKind::name_space:
      fail("Object of type Namespace is not JSON serializable");
    case ValueKind::callable:
      fail("Object of type function is not JSON serializable");
    case ValueKind::loop:
      fail("Object of type LoopContext is not JSON serializable");
  }
}

}  // namespace

std::string float_repr(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  if (value == 0.0) return std::signbit(value) ? "-0.0" : "0.0";
  char buf[64];
  auto result = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
  std::string sci(buf, result.ptr);
  // sci looks like "-d.ddde+XX": split sign, digits and exponent.
  std::string sign;
  std::size_t pos = 0;
  if (sci[0] == '-') {
    sign = "-";
    pos = 1;
  }
  std::size_t e = sci.find('e');
  std::string digits;
  for (std::size_t i = pos; i < e; ++i) {
    if (sci[i] != '.') digits += sci[i];
  }
  int exponent = std::stoi(sci.substr(e + 1));
  if (exponent >= -4 && exponent < 16) {
    std::string out;
    if (exponent < 0) {
      out = "0." + std::string(static_cast<std::size_t>(-exponent - 1), '0') + digits;
    } else {
      auto int_len = static_cast<std::size_t>(exponent + 1);
      if (digits.size() <= int_len) {
        out = digits + std::string(int_len - digits.size(), '0') + ".0";
      } else {
        out = digits.substr(0, int_len) + "." + digits.substr(int_len);
      }
    }
    return sign + out;
  }
  std::string mantissa = digits.substr(0, 1);
  if (digits.size() > 1) mantissa += "." + digits.substr(1);
  char exp_buf[16];
  std::snprintf(exp_buf, sizeof exp_buf, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
  return sign + mantissa + exp_buf;
}

std::string python_str(const Value& value) {
  if (value.is_string()) return value.as_string();
  if (value.is_undefined()) return "";
  std::string out;
  repr_into(out, value, 0);
  return out;
}

std::string python_repr(const Value& value) {
  std::string out;
  repr_into(out, value, 0);
  return out;
}

std::string json_dumps(const Value& value, const JsonDumpOptions& options) {
  std::string out;
  json_into(out, value, options, 0);
  return out;
}

}  // namespace r1::tmpl
