// Python's two string formatting languages: str.format() and the % operator.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <vector>

#include "core/utf8.h"
#include "template/builtins.h"
#include "template/errors.h"
#include "template/interpreter.h"
#include "template/operators.h"
#include "template/python_format.h"
#include "template/unicode_text.h"

namespace r1::tmpl {
namespace {

struct FormatSpec {
  std::string fill = " ";
  char align = '\0';  // < > ^ =
  char sign = '-';
  bool alternate = false;
  bool zero = false;
  std::int64_t width = -1;
  std::int64_t precision = -1;
  char type = '\0';
};

std::int64_t parse_number(const std::string& s, std::size_t& i) {
  std::int64_t n = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
    n = n * 10 + (s[i] - '0');
    if (n > 100000) fail_limit("format width or precision too large");
    ++i;
  }
  return n;
}

FormatSpec parse_spec(const std::string& spec) {
  FormatSpec f;
  std::size_t i = 0;
  auto is_align = [](char c) { return c == '<' || c == '>' || c == '^' || c == '='; };
  std::size_t first_len =
      spec.empty() ? 0 : std::max<std::size_t>(1, utf8::valid_sequence_length(spec, 0));
  if (spec.size() > first_len && is_align(spec[first_len])) {
    f.fill = spec.substr(0, first_len);
    f.align = spec[first_len];
    i = first_len + 1;
  } else if (!spec.empty() && is_align(spec[0])) {
    f.align = spec[0];
    i = 1;
  }
  if (i < spec.size() && (spec[i] == '+' || spec[i] == '-' || spec[i] == ' ')) f.sign = spec[i++];
  if (i < spec.size() && spec[i] == '#') {
    f.alternate = true;
    ++i;
  }
  if (i < spec.size() && spec[i] == '0') {
    f.zero = true;
    ++i;
  }
  if (i < spec.size() && std::isdigit(static_cast<unsigned char>(spec[i])))
    f.width = parse_number(spec, i);
  if (i < spec.size() && (spec[i] == ',' || spec[i] == '_'))
    fail("grouping in format specs is not supported");
  if (i < spec.size() && spec[i] == '.') {
    ++i;
    f.precision = parse_number(spec, i);
  }
  if (i < spec.size()) f.type = spec[i++];
  if (i != spec.size()) fail("Invalid format specifier '" + spec + "'");
  return f;
}

std::string pad(const std::string& body, const FormatSpec& f, char default_align, bool numeric) {
  auto len = static_cast<std::int64_t>(code_point_count(body));
  if (f.width <= len) return body;
  std::int64_t margin = f.width - len;
  char align = f.align ? f.align : default_align;
  std::string fill = f.fill;
  if (f.zero && !f.align && numeric) {
    align = '=';
    fill = "0";
  }
  auto repeat = [&](std::int64_t n) {
    std::string s;
    for (std::int64_t i = 0; i < n; ++i) s += fill;
    return s;
  };
  if (align == '<') return body + repeat(margin);
  if (align == '^') return repeat(margin / 2) + body + repeat(margin - margin / 2);
  if (align == '=' && numeric && !body.empty() &&
      (body[0] == '-' || body[0] == '+' || body[0] == ' ')) {
    return body.substr(0, 1) + repeat(margin) + body.substr(1);
  }
  return repeat(margin) + body;
}

std::string sign_prefix(bool negative, char sign) {
  if (negative) return "-";
  if (sign == '+') return "+";
  if (sign == ' ') return " ";
  return "";
}

std::string format_float(double x, const FormatSpec& f) {
  char type = f.type;
  std::int64_t precision = f.precision;
  std::string body;
  bool negative = std::signbit(x);
  double a = std::fabs(x);
  if (type == '\0' && precision < 0) {
    body = float_repr(a);
  } else if (std::isinf(a) || std::isnan(a)) {
    body = std::isnan(a) ? "nan" : "inf";
    if (type == 'F' || type == 'E' || type == 'G') body = py_upper(body);
  } else {
    if (type == '\0') type = 'g';
    if (precision < 0) precision = 6;
    char fmt[16];
    bool percent = type == '%';
    if (percent) a *= 100;
    char c = percent ? 'f' : type;
    if (c != 'f' && c != 'F' && c != 'e' && c != 'E' && c != 'g' && c != 'G') {
      fail(std::string("Unknown format code '") + type + "' for object of type 'float'");
    }
    std::snprintf(fmt, sizeof fmt, "%%%s.%d%c", f.alternate ? "#" : "", static_cast<int>(precision),
                  c);
    std::vector<char> buf(static_cast<std::size_t>(precision) + 400);
    std::snprintf(buf.data(), buf.size(), fmt, a);
    body = buf.data();
    if (percent) body += "%";
  }
  return pad(sign_prefix(negative, f.sign) + body, f, '>', true);
}

std::string format_int(std::int64_t v, const FormatSpec& f) {
  if (f.type == 'e' || f.type == 'E' || f.type == 'f' || f.type == 'F' || f.type == 'g' ||
      f.type == 'G' || f.type == '%') {
    return format_float(static_cast<double>(v), f);
  }
  bool negative = v < 0;
  unsigned long long a =
      negative ? 0ULL - static_cast<unsigned long long>(v) : static_cast<unsigned long long>(v);
  std::string digits;
  char buf[80];
  switch (f.type) {
    case '\0':
    case 'd':
    case 'n':
      std::snprintf(buf, sizeof buf, "%llu", a);
      break;
    case 'x':
      std::snprintf(buf, sizeof buf, "%s%llx", f.alternate ? "0x" : "", a);
      break;
    case 'X':
      std::snprintf(buf, sizeof buf, "%s%llX", f.alternate ? "0X" : "", a);
      break;
    case 'o':
      std::snprintf(buf, sizeof buf, "%s%llo", f.alternate ? "0o" : "", a);
      break;
    case 'b': {
      std::string bits;
      do {
        bits.insert(bits.begin(), static_cast<char>('0' + (a & 1)));
        a >>= 1;
      } while (a);
      std::snprintf(buf, sizeof buf, "%s%s", f.alternate ? "0b" : "", bits.c_str());
      break;
    }
    case 'c': {
      std::string s;
      s = encode_utf8(std::u32string(1, static_cast<char32_t>(v)));
      return pad(s, f, '<', false);
    }
    default:
      fail(std::string("Unknown format code '") + f.type + "' for object of type 'int'");
  }
  if (f.precision >= 0) fail("Precision not allowed in integer format specifier");
  return pad(sign_prefix(negative, f.sign) + buf, f, '>', true);
}

std::string format_with_spec(const Value& v, const std::string& spec) {
  if (spec.empty()) return python_str(v);
  FormatSpec f = parse_spec(spec);
  if (v.is_bool() && f.type == '\0') return pad(python_str(v), f, '<', false);
  if (v.is_int() || v.is_bool()) return format_int(v.as_int(), f);
  if (v.is_float()) return format_float(v.as_double(), f);
  if (v.is_string() || v.is_none() || v.is_undefined()) {
    if (f.type != '\0' && f.type != 's') {
      fail(std::string("Unknown format code '") + f.type + "' for object of type '" +
           python_type_name(v) + "'");
    }
    if (!v.is_string())
      fail("unsupported format string passed to " + python_type_name(v) + ".__format__");
    std::string s = v.as_string();
    if (f.precision >= 0) {
      std::u32string cps = decode_utf8(s);
      if (static_cast<std::int64_t>(cps.size()) > f.precision) {
        s = encode_utf8(std::u32string_view(cps).substr(0, static_cast<std::size_t>(f.precision)));
      }
    }
    return pad(s, f, '<', false);
  }
  fail("unsupported format string passed to " + python_type_name(v) + ".__format__");
}

}  // namespace

std::string python_str_format(Interpreter& interp, const std::string& format,
                              const CallArgs& args) {
  std::string out;
  std::size_t auto_index = 0;
  std::size_t i = 0;
  while (i < format.size()) {
    char c = format[i];
    if (c == '}') {
      if (i + 1 < format.size() && format[i + 1] == '}') {
        out += '}';
        i += 2;
        continue;
      }
      fail("Single '}' encountered in format string");
    }
    if (c != '{') {
      out += c;
      ++i;
      continue;
    }
    if (i + 1 < format.size() && format[i + 1] == '{') {
      out += '{';
      i += 2;
      continue;
    }
    std::size_t close = format.find('}', i);
    if (close == std::string::npos) fail("Single '{' encountered in format string");
    std::string field = format.substr(i + 1, close - i - 1);
    i = close + 1;
    std::string spec;
    std::size_t colon = field.find(':');
    if (colon != std::string::npos) {
      spec = field.substr(colon + 1);
      field = field.substr(0, colon);
    }
    char conversion = '\0';
    std::size_t bang = field.find('!');
    if (bang != std::string::npos) {
      if (bang + 2 != field.size()) fail("expected ':' after conversion specifier");
      conversion = field[bang + 1];
      field = field.substr(0, bang);
    }
    Value value;
    if (field.empty()) {
      if (auto_index >= args.positional.size()) {
        fail("Replacement index " + std::to_string(auto_index) +
             " out of range for positional args tuple");
      }
      value = args.positional[auto_index++];
    } else if (std::all_of(field.begin(), field.end(),
                           [](char d) { return d >= '0' && d <= '9'; })) {
      std::size_t index = std::stoul(field);
      if (index >= args.positional.size()) {
        fail("Replacement index " + field + " out of range for positional args tuple");
      }
      value = args.positional[index];
    } else {
      bool found = false;
      for (const auto& [key, v] : args.keyword) {
        if (key == field) {
          value = v;
          found = true;
        }
      }
      if (!found) fail("KeyError: '" + field + "'");
    }
    if (conversion == 'r') {
      value = Value::string(python_repr(value));
    } else if (conversion == 's') {
      value = Value::string(python_str(value));
    } else if (conversion != '\0') {
      fail(std::string("Unknown conversion specifier ") + conversion);
    }
    out += format_with_spec(value, spec);
    interp.charge_string(out.size());
  }
  return out;
}

std::string python_percent_format(Interpreter& interp, const std::string& format,
                                  const Value& args) {
  ValueList positional;
  const Dict* mapping = nullptr;
  bool allow_unused = false;
  if (args.is_tuple()) {
    positional = args.as_list();
  } else if (args.is_dict()) {
    mapping = &args.as_dict();
    positional.push_back(args);
  } else if (args.is_list()) {
    // Python treats any non-tuple, non-str object with __getitem__ as a mapping argument:
    // unused, it raises no "not all arguments converted" error.
    allow_unused = true;
    positional.push_back(args);
  } else {
    positional.push_back(args);
  }
  std::size_t next = 0;
  std::string out;
  std::size_t i = 0;
  while (i < format.size()) {
    char c = format[i++];
    if (c != '%') {
      out += c;
      continue;
    }
    if (i >= format.size()) fail("incomplete format");
    Value value;
    bool have_value = false;
    if (format[i] == '(') {
      std::size_t close = format.find(')', i);
      if (close == std::string::npos) fail("incomplete format key");
      if (!mapping) fail("format requires a mapping");
      std::string key = format.substr(i + 1, close - i - 1);
      const Value* v = mapping->find(key);
      if (!v) fail("KeyError: '" + key + "'");
      value = *v;
      have_value = true;
      i = close + 1;
    }
    FormatSpec f;
    while (i < format.size() &&
           std::string_view("-+ #0").find(format[i]) != std::string_view::npos) {
      char flag = format[i++];
      if (flag == '-') f.align = '<';
      if (flag == '+') f.sign = '+';
      if (flag == ' ' && f.sign != '+') f.sign = ' ';
      if (flag == '#') f.alternate = true;
      if (flag == '0') f.zero = true;
    }
    if (i < format.size() && std::isdigit(static_cast<unsigned char>(format[i])))
      f.width = parse_number(format, i);
    if (i < format.size() && format[i] == '.') {
      ++i;
      f.precision = parse_number(format, i);
    }
    if (i >= format.size()) fail("incomplete format");
    char type = format[i++];
    if (type == '%') {
      out += '%';
      continue;
    }
    if (!have_value) {
      if (next >= positional.size()) fail("not enough arguments for format string");
      value = positional[next++];
    }
    if (f.align == '<') f.zero = false;
    switch (type) {
      case 's':
      case 'r': {
        std::string s = type == 's' ? python_str(value) : python_repr(value);
        if (f.precision >= 0) {
          std::u32string cps = decode_utf8(s);
          if (static_cast<std::int64_t>(cps.size()) > f.precision) {
            s = encode_utf8(
                std::u32string_view(cps).substr(0, static_cast<std::size_t>(f.precision)));
          }
        }
        FormatSpec g;
        g.width = f.width;
        g.align = f.align ? f.align : '>';
        out += pad(s, g, '>', false);
        break;
      }
      case 'd':
      case 'i':
      case 'u':
      case 'x':
      case 'X':
      case 'o': {
        if (!value.is_number())
          fail("%" + std::string(1, type) + " format: a real number is required, not " +
               python_type_name(value));
        std::int64_t n =
            value.is_float() ? static_cast<std::int64_t>(value.as_double()) : value.as_int();
        FormatSpec g = f;
        g.precision = -1;
        g.type = (type == 'i' || type == 'u') ? 'd' : type;
        out += format_int(n, g);
        break;
      }
      case 'f':
      case 'F':
      case 'e':
      case 'E':
      case 'g':
      case 'G': {
        if (!value.is_number()) fail("must be real number, not " + python_type_name(value));
        FormatSpec g = f;
        g.type = type;
        if (g.precision < 0) g.precision = 6;
        out += format_float(value.as_double(), g);
        break;
      }
      default:
        fail(std::string("unsupported format character '") + type + "'");
    }
    interp.charge_string(out.size());
  }
  if (!mapping && !allow_unused && next < positional.size())
    fail("not all arguments converted during string formatting");
  return out;
}

}  // namespace r1::tmpl
