// jinja2's built-in filters plus transformers' tojson, with jinja2 3.1 semantics.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <unordered_map>

#include "template/builtins.h"
#include "template/errors.h"
#include "template/interpreter.h"
#include "template/operators.h"
#include "template/python_format.h"
#include "template/unicode_text.h"

namespace r1::tmpl {
namespace {

using Filter = Value (*)(Interpreter&, const Value&, CallArgs&);

Value str_value(Interpreter& interp, std::string s) {
  interp.charge_string(s.size());
  return Value::string(std::move(s));
}

std::int64_t int_param(const Value* v, std::int64_t fallback, const char* what) {
  if (!v || v->is_none()) return fallback;
  if (!(v->is_int() || v->is_bool())) {
    fail(std::string("'") + python_type_name(*v) +
         "' object cannot be interpreted as an integer (" + what + ")");
  }
  return v->as_int();
}

// jinja2's make_attrgetter: "a.b.0" looked up with getitem semantics at each step.
Value lookup_attribute(Interpreter& interp, const Value& item, const Value& attribute) {
  if (!attribute.is_string()) return get_item(interp, item, attribute);
  Value current = item;
  const std::string& path = attribute.as_string();
  std::size_t start = 0;
  while (true) {
    std::size_t dot = path.find('.', start);
    std::string part =
        path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    bool numeric = !part.empty() && std::all_of(part.begin(), part.end(),
                                                [](char c) { return c >= '0' && c <= '9'; });
    Value key =
        numeric ? Value::integer(std::strtoll(part.c_str(), nullptr, 10)) : Value::string(part);
    if (current.is_undefined()) fail_undefined(current);
    current = get_item(interp, current, key);
    if (dot == std::string::npos) return current;
    start = dot + 1;
  }
}

Value ignore_case(const Value& v, bool case_sensitive) {
  if (!case_sensitive && v.is_string()) return Value::string(py_lower(v.as_string()));
  return v;
}

// Sort key for sort/unique/min/max: attribute(s) then case folding.
Value sort_key(Interpreter& interp, const Value& item, const Value* attribute,
               bool case_sensitive) {
  if (!attribute || attribute->is_none()) return ignore_case(item, case_sensitive);
  if (attribute->is_string() && attribute->as_string().find(',') != std::string::npos) {
    ValueList parts;
    const std::string& spec = attribute->as_string();
    std::size_t start = 0;
    while (true) {
      std::size_t comma = spec.find(',', start);
      std::string name =
          spec.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      parts.push_back(
          ignore_case(lookup_attribute(interp, item, Value::string(name)), case_sensitive));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    return Value::list(std::move(parts));
  }
  return ignore_case(lookup_attribute(interp, item, *attribute), case_sensitive);
}

Value f_abs(Interpreter&, const Value& v, CallArgs& args) {
  check_args(args, "abs", {});
  if (v.is_int() || v.is_bool()) {
    if (v.as_int() == INT64_MIN) fail_limit("integer overflow (64-bit integers only)");
    return Value::integer(std::llabs(v.as_int()));
  }
  if (v.is_float()) return Value::floating(std::fabs(v.as_double()));
  if (v.is_undefined()) fail_undefined(v);
  fail("bad operand type for abs(): '" + python_type_name(v) + "'");
}

Value f_batch(Interpreter& interp, const Value& v, CallArgs& args) {
  check_args(args, "batch", {"linecount", "fill_with"});
  std::int64_t count = int_param(find_arg(args, 0, "linecount"), 0, "batch");
  if (count <= 0) fail("batch() needs a positive line count");
  const Value* fill = find_arg(args, 1, "fill_with");
  ValueList rows;
  ValueList row;
  for (Value& item : iterate(interp, v)) {
    if (static_cast<std::int64_t>(row.size()) == count) {
      rows.push_back(Value::list(std::move(row)));
      row.clear();
    }
    row.push_back(std::move(item));
  }
  if (!row.empty()) {
    if (fill && !fill->is_none()) {
      while (static_cast<std::int64_t>(row.size()) < count) row.push_back(*fill);
    }
    rows.push_back(Value::list(std::move(row)));
  }
  return Value::list(std::move(rows));
}

Value f_capitalize(Interpreter& interp, const Value& v, CallArgs& args) {
  check_args(args, "capitalize", {});
  return str_value(interp, py_capitalize(python_str(v)));
}

Value f_center(Interpreter& interp, const Value& v, CallArgs& args) {
  check_args(args, "center", {"width"});
  std::int64_t width = int_param(find_arg(args, 0, "width"), 80, "center");
  std::string s = python_str(v);
  auto len = static_cast<std::int64_t>(code_point_count(s));
  if (width <= len) return Value::string(s);
  interp.charge_string(static_cast<std::size_t>(width));
  std::int64_t margin = width - len;
  std::int64_t left = margin / 2 + (margin & width & 1);
  return Value::string(std::string(static_cast<std::size_t>(left), ' ') + s +
                       std::string(static_cast<std::size_t>(margin - left), ' '));
}

Value f_default(Interpreter&, const Value& v, CallArgs& args) {
  check_args(args, "default", {"default_value", "boolean"});
  const Value* fallback = find_arg(args, 0, "default_value");
  const Value* boolean = find_arg(args, 1, "boolean");
  bool use_fallback = v.is_undefined() || (boolean && boolean->truthy() && !v.truthy());
  if (!use_fallback) return v;
  return fallback ? *fallback : Value::string("");
}

Value f_dictsort(Interpreter& interp, const Value& v, CallArgs& args) {
  check_args(args, "dictsort", {"case_sensitive", "by", "reverse"});
  if (!v.is_dict()) fail("dictsort expects a mapping, got " + python_type_name(v));
  const Value* cs = find_arg(args, 0, "case_sensitive");
  const Value* by = find_arg(args, 1, "by");
  const Value* rev = find_arg(args, 2, "reverse");
  bool case_sensitive = cs && cs->truthy();
  std::size_t pos = 0;
  if (by && by->is_string()) {
    if (by->as_string() == "value") {
      pos = 1;
    } else if (by->as_string() != "key") {
      fail("You can only sort by either \"key\" or \"value\"");
    }
  }
  ValueList items;
  for (const auto& [key, value] : v.as_dict().items())
    items.push_back(Value::list({key, value}, true));
  interp.charge_list(items.size());
  bool reverse = rev && rev->truthy();
  std::stable_sort(items.begin(), items.end(), [&](const Value& a, const Value& b) {
    Value ka = ignore_case(a.as_list()[pos], case_sensitive);
    Value kb = ignore_case(b.as_list()[pos], case_sensitive);
    return reverse ? python_less(kb, ka) : python_less(ka, kb);
  });
  return Value::list(std::move(items));
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

Value f_escape(Interpreter& interp, const Value& v, CallArgs& args) {
  check_args(args, "escape", {});
  return str_value(interp, html_escape(python_str(v)));
}

Value f_first(Interpreter& interp, const Value& v, CallArgs& args) {
  check_args(args, "first", {});
  ValueList items = iterate(interp, v);
  if (items.empty()) return Value::undefined("No first item, sequence was empty.");
  return items.front();
}

Value f_last(Interpreter& interp, const Value& v, CallArgs& args) {
  check_args(args, "last", {});
  ValueList items = iterate(interp, v);
  if (items.empty()) return Value::undefined("No last item, sequence was empty.");
  return items.back();
}

// Python float(str): optional whitespace, sign, digits, "inf"/"nan", underscores between digits.
bool parse_python_float(const std::string& text, double& out) {
  std::string s = py_strip(text, true, true, nullptr);
  if (s.empty()) return false;
  std::string cleaned;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '_') {
      bool ok = i > 0 && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i - 1])) &&
                std::isdigit(static_cast<unsigned char>(s[i + 1]));
      if (!ok) return false;
      continue;
    }
    cleaned += s[i];
  }
  std::string lower = py_lower(cleaned);
  std::string body = lower[0] == '+' || lower[0] == '-' ? lower.substr(1) : lower;
  if (body == "inf" || body == "infinity" || body == "nan") {
    double value = body == "nan" ? NAN : INFINITY;
    out = lower[0] == '-' ? -value : value;
    return true;
  }
  for (char c : body) {
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == 'e' || c == '+' ||
          c == '-')) {
      return false;
    }
  }
  char* end = nullptr;
  out = std::strtod(cleaned.c_str(), &end);
  return end && *end == '\0' && end != cleaned.c_str();
}

// Python int(str, base): optional whitespace and sign, digits with single underscores.
bool parse_python_int(const std::string& text, int base, std::int64_t& out) {
  std::string s = py_strip(text, true, true, nullptr);
  bool negative = false;
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
  if (base == 16 && s.compare(i, 2, "0x") == 0) i += 2;
  if (i >= s.size()) return false;
  unsigned long long value = 0;
  bool previous_digit = false;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c == '_' && previous_digit && i + 1 < s.size() && s[i + 1] != '_') {
      previous_digit = false;
      continue;
    }
    int d = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'z' ? c - 'a' + 10
            : c >= 'A' && c <= 'Z' ? c - 'A' + 10
                                   : 99;
    if (d >= base) return false;
    if (value > (static_cast<unsigned long long>(INT64_MAX) - static_cast<unsigned>(d)) /
                    static_cast<unsigned>(base)) {
      fail_limit("integer overflow (64-bit integers only)");
    }
    value = value * static_cast<unsigned>(base) + static_cast<unsigned>(d);
    previous_digit = true;
  }
  if (!previous_digit) return false;
  out = negative ? -static_cast<std::int64_t>(value) : static_cast<std::int64_t>(value);
  return true;
}

Value float_to_int(double d) {
  if (std::isnan(d)) fail("cannot convert float NaN to integer");
  if (std::isinf(d)) fail("cannot convert float infinity to integer");
  if (std::fabs(d) >= 9.2e18) fail_limit("integer overflow (64-bit integers only)");
  return Value::integer(static_cast<std::int64_t>(std::trunc(d)));
}

Value f_int(Interpreter&, const Value& v, CallArgs& args) {
  check_args(args, "int", {"default", "base"});
  const Value* fallback = find_arg(args, 0, "default");
  std::int64_t base = int_param(find_arg(args, 1, "base"), 10, "int");
  Value default_value = fallback ? *fallback : Value::integer(0);
  if (v.is_undefined()) fail_undefined(v);  // int(Undefined) raises UndefinedError
  if (v.is_int() || v.is_bool()) return Value::integer(v.as_int());
  if (v.is_float()) return float_to_int(v.as_double());
  if (v.is_string()) {
    std::int64_t i;
    if (base >= 2 && base <= 36 && parse_python_int(v.as_string(), static_cast<int>(base), i)) {
      return Value::integer(i);
    }
    double d;
    if (parse_python_float(v.as_string(), d)) return float_to_int(d);
  }
  return default_value;
}

Value f_float(Interpreter&, const Value& v, CallArgs& args) {
  check_args(args, "float", {"default"});
  const Value* fallback = find_arg(args, 0, "default");
  if (v.is_undefined()) fail_undefined(v);  // float(Undefined) raises UndefinedError
  if (v.is_number()) return Value::floating(v.as_double());
  double d;
  if (v.is_string() && parse_python_float(v.as_string(), d)) return Value::floating(d);
  return fallback ? *fallback : Value::floating(0.0);
}

Value f_format(Interpreter& interp, const Value& v, CallArgs& args) {
  if (!args.positional.empty() && !args.keyword.empty()) {
    fail("can't handle positional and keyword arguments at the same time");
  }
  Value params;
  if (!args.keyword.empty()) {
    auto dict = std::make_shared<Dict>();
    for (const auto& [k, value] : args.keyword) dict->set(Value::string(k), value);
    params = Value::dict(std::move(dict));
  } else {
    params = Value::list(args.positional, true);
  }
  return str_value(interp, python_percent_format(interp, python_str(v), params));
}

// Python str.splitlines() without keepends.
std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::u32string cps = decode_utf8(text);
  std::size_t start = 0;
  for (std::size_t i = 0; i < cps.size(); ++i) {
    char32_t c = cps[i];
    bool brk = c == '\n' || c == '\r' || c == 0x0B || c == 0x0C || c == 0x1C || c == 0x1D ||
               c == 0x1E || c == 0x85 || c == 0x2028 || c == 0x2029;
    if (!brk) continue;
    lines.push_back(encode_utf8(std::u32string_view(cps).substr(start, i - start)));
    if (c == '\r' && i + 1 < cps.size() && cps[i + 1] == '\n') ++i;
    start = i + 1;
  }
  if (start < cps.size()) lines.push_back(encode_utf8(std::u32string_view(cps).substr(start)));
  return lines;
}

Value f_indent(Interpreter& interp, const Value& v, CallArgs& args) {
  check_args(args, "indent", {"width", "first", "blank"});
  const Value* width = find_arg(args, 0, "width");
  const Value* first = find_arg(args, 1, "first");
  const Value* blank = find_arg(args, 2, "blank");
  std::string indention;
  if (width && width->is_string()) {
    indention = width->as_string();
  } else {
    std::int64_t w = int_param(width, 4, "indent");
    interp.charge_string(static_cast<std::size_t>(std::max<std::int64_t>(w, 0)));
    indention = std::string(static_cast<std::size_t>(std::max<std::int64_t>(w, 0)), ' ');
  }
  // jinja2 appends "\n" to the value, which only works for strings.
  if (v.is_undefined()) fail_undefined(v);
  if (!v.is_string()) {
    fail("the indent filter needs a string, got '" + python_type_name(v) + "'");
  }
  std::string s = v.as_string() + "\n";
  std::vector<std::string> lines = split_lines(s);
  std::string rv;
  if (blank && blank->truthy()) {
    for (std::size_t i = 0; i < lines.size(); ++i) {
      if (i) rv += "\n" + indention;
      rv += lines[i];
      interp.charge_string(rv.size());
    }
  } else {
    rv = lines.empty() ? std::string() : lines[0];
    for (std::size_t i = 1; i < lines.size(); ++i) {
      rv += "\n";
      if (!lines[i].empty()) rv += indention;
      rv += lines[i];
      interp.charge_string(rv.size());
    }
  }
  if (first && first->truthy()) rv = indention + rv;
  return str_value(interp, std::move(rv));
}

Value f_items(Interpreter& interp, const Value& v, CallArgs& args) {
  check_args(args, "items", {});
  if (v.is_undefined()) return Value::list({});
  if (!v.is_dict()) fail("Can only get item pairs from a mapping.");
  ValueList items;
  for (const auto& [key, value] : v.as_dict().items())
    items.push_back(Value::list({key, value}, true));
  interp.charge_list(items.size());
  return Value::list(std::move(items));
}

Value f_join(Interpreter& interp, const Value& v, CallArgs& args) {
  check_args(args, "join", {"d", "attribute"});
  const Value* sep_v = find_arg(args, 0, "d");
  const Value* attribute = find_arg(args, 1, "attribute");
  std::string sep = sep_v ? python_str(*sep_v) : std::string();
  std::string out;
  bool first = true;
  for (const Value& item : iterate(interp, v)) {
    if (!first) out += sep;
    first = false;
    out += python_str(
        attribute && !attribute->is_none() ? lookup_attribute(interp, item, *attribute) : item);
    interp.charge_string(out.size());
  }
  return Value::string(std::move(out));
}

Value f_length(Interpreter&, const Value& v, CallArgs& args) {
  check_args(args, "length", {});
  return Value::integer(static_cast<std::int64_t>(python_len(v)));
}

Value f_list(Interpreter& interp, const Value& v, CallArgs& args) {
  check_args(args, "list", {});
  return Value::list(iterate(interp, v));
}

Value f_lower(Interpreter& interp, const Value& v, CallArgs& args) {
  check_args(args, "lower", {});
  return str_value(interp, py_lower(python_str(v)));
}

Value f_upper(Interpreter& interp, const Value& v, CallArgs& args) {
  check_args(args, "upper", {});
  return str_value(interp, py_upper(python_str(v)));
}

Value f_map(Interpreter& interp, const Value& v, CallArgs& args) {
  // jinja2 iterates only a truthy value (`if value: for item in value`).
  ValueList items = v.truthy() ? iterate(interp, v) : ValueList();
  const Value* attribute = nullptr;
  const Value* fallback = nullptr;
  for (const auto& [key, value] : args.keyword) {
    if (key == "attribute")
      attribute = &value;
    else if (key == "default")
      fallback = &value;
  }
  ValueList out;
  out.reserve(items.size());
  if (attribute) {
    for (const Value& item : items) {
      Value mapped = lookup_attribute(interp, item, *attribute);
      if (mapped.is_undefined() && fallback) mapped = *fallback;
      out.push_back(std::move(mapped));
    }
    return Value::list(std::move(out));
  }
  if (args.positional.empty() || !args.positional[0].is_string()) {
    fail("map requires a filter name or attribute=");
  }
  std::string name = args.positional[0].as_string();
  if (!is_known_filter(name)) fail("No filter named '" + name + "'.");
  CallArgs rest;
  rest.positional.assign(args.positional.begin() + 1, args.positional.end());
  rest.keyword = args.keyword;
  for (const Value& item : items) {
    CallArgs call_args = rest;
    interp.step();
    out.push_back(apply_filter(interp, name, item, call_args));
  }
  return Value::list(std::move(out));
}

Value min_max(Interpreter& interp, const Value& v, CallArgs& args, bool want_max) {
  check_args(args, want_max ? "max" : "min", {"case_sensitive", "attribute"});
  const Value* cs = find_arg(args, 0, "case_sensitive");
  const Value* attribute = find_arg(args, 1, "attribute");
  bool case_sensitive = cs && cs->truthy();
  ValueList items = iterate(interp, v);
  if (items.empty()) {
    return Value::undefined(std::string("No aggregated item, sequence was empty."));
  }
  std::size_t best = 0;
  Value best_key = sort_key(interp, items[0], attribute, case_sensitive);
  for (std::size_t i = 1; i < items.size(); ++i) {
    Value key = sort_key(interp, items[i], attribute, case_sensitive);
    if (want_max ? python_less(best_key, key) : python_less(key, best_key)) {
      best = i;
      best_key = key;
    }
  }
  return items[best];
}
Value f_max(Interpreter& i, const Value& v, CallArgs& a) {
  return min_max(i, v, a, true);
}
Value f_min(Interpreter& i, const Value& v, CallArgs& a) {
  return min_max(i, v, a, false);
}

Value select_impl(Interpreter& interp, const Value& v, CallArgs& args, bool with_attribute,
                  bool keep_matching) {
  // jinja2 iterates only a truthy value (`if value: for item in value`).
  ValueList items = v.truthy() ? iterate(interp, v) : ValueList();
  std::size_t next = 0;
  const Value* attribute = nullptr;
  if (with_attribute) {
    if (args.positional.empty()) fail("select/rejectattr requires an attribute name");
    attribute = &args.positional[0];
    next = 1;
  }
  std::string test;
  CallArgs test_args;
  bool has_test = args.positional.size() > next;
  if (has_test) {
    if (!args.positional[next].is_string()) fail("test name must be a string");
    test = args.positional[next].as_string();
    if (!is_known_test(test)) fail("No test named '" + test + "'.");
    test_args.positional.assign(args.positional.begin() + static_cast<std::ptrdiff_t>(next + 1),
                                args.positional.end());
    test_args.keyword = args.keyword;
  }
  ValueList out;
  for (const Value& item : items) {
    interp.step();
    Value subject = attribute ? lookup_attribute(interp, item, *attribute) : item;
    bool result;
    if (has_test) {
      CallArgs call_args = test_args;
      result = apply_test(interp, test, subject, call_args);
    } else {
      result = subject.truthy();
    }
    if (result == keep_matching) out.push_back(item);
  }
  return Value::list(std::move(out));
}
Value f_select(Interpreter& i, const Value& v, CallArgs& a) {
  return select_impl(i, v, a, false, true);
}
Value f_reject(Interpreter& i, const Value& v, CallArgs& a) {
  return select_impl(i, v, a, false, false);
}
Value f_selectattr(Interpreter& i, const Value& v, CallArgs& a) {
  return select_impl(i, v, a, true, true);
}
Value f_rejectattr(Interpreter& i, const Value& v, CallArgs& a) {
  return select_impl(i, v, a, true, false);
}

Value f_replace(Interpreter& interp, const Value& v, CallArgs& args) {
  check_args(args, "replace", {"old", "new", "count"});
  const Value* old_v = find_arg(args, 0, "old");
  const Value* new_v = find_arg(args, 1, "new");
  if (!old_v || !new_v) fail("replace() needs the old and new strings");
  CallArgs method_args;
  method_args.positional = {Value::string(python_str(*old_v)), Value::string(python_str(*new_v))};
  const Value* count = find_arg(args, 2, "count");
  if (count && !count->is_none()) method_args.positional.push_back(*count);
  Value method = string_method(interp, Value::string(python_str(v)), "replace");
  return interp.call(method, method_args);
}

Value f_reverse(Interpreter& interp, const Value& v, CallArgs& args) {
  check_args(args, "reverse", {});
  if (v.is_string()) {
    std::u32string cps = decode_utf8(v.as_string());
    std::reverse(cps.begin(), cps.end());
    return str_value(interp, encode_utf8(cps));
  }
  ValueList items = iterate(interp, v);
  std::reverse(items.begin(), items.end());
  return Value::list(std::move(items));
}

double python_round(double x, std::int64_t digits) {
  if (!std::isfinite(x)) return x;
  if (digits > 300) return x;
  if (digits < -308) return 0.0 * x;
  if (digits >= 0) {
    // printf rounds the exact binary value half-to-even, as Python's round() does.
    std::vector<char> buf(400);
    std::snprintf(buf.data(), buf.size(), "%.*f", static_cast<int>(digits), x);
    return std::strtod(buf.data(), nullptr);
  }
  double pow10 = std::pow(10.0, static_cast<double>(-digits));
  double y = x / pow10;
  double r = std::nearbyint(y);
  if (std::fabs(y - std::trunc(y)) == 0.5) r = 2.0 * std::nearbyint(y / 2.0);
  return r * pow10;
}

Value f_round(Interpreter&, const Value& v, CallArgs& args) {
  check_args(args, "round", {"precision", "method"});
  std::int64_t precision = int_param(find_arg(args, 0, "precision"), 0, "round");
  const Value* method_v = find_arg(args, 1, "method");
  std::string method = method_v ? python_str(*method_v) : "common";
  if (method != "common" && method != "ceil" && method != "floor") {
    fail("method must be common, ceil or floor");
  }
  if (!v.is_number()) {
    if (v.is_undefined()) fail_undefined(v);
    fail("type " + python_type_name(v) + " doesn't define __round__ method");
  }
  if (method == "common") {
    if (v.is_int() || v.is_bool()) {
      if (precision >= 0) return Value::integer(v.as_int());
      return float_to_int(python_round(v.as_double(), precision));
    }
    return Value::floating(python_round(v.as_double(), precision));
  }
  double scale = std::pow(10.0, static_cast<double>(precision));
  double x = v.as_double() * scale;
  x = method == "ceil" ? std::ceil(x) : std::floor(x);
  return Value::floating(x / scale);
}

Value f_safe(Interpreter&, const Value& v, CallArgs& args) {
  check_args(args, "safe", {});
  return Value::string(python_str(v));
}

Value f_sort(Interpreter& interp, const Value& v, CallArgs& args) {
  check_args(args, "sort", {"reverse", "case_sensitive", "attribute"});
  const Value* rev = find_arg(args, 0, "reverse");
  const Value* cs = find_arg(args, 1, "case_sensitive");
  const Value* attribute = find_arg(args, 2, "attribute");
  bool reverse = rev && rev->truthy();
  bool case_sensitive = cs && cs->truthy();
  ValueList items = iterate(interp, v);
  std::vector<std::pair<Value, std::size_t>> keyed;
  for (std::size_t i = 0; i < items.size(); ++i) {
    keyed.emplace_back(sort_key(interp, items[i], attribute, case_sensitive), i);
  }
  interp.step(items.size() * 4);
  std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
    return reverse ? python_less(b.first, a.first) : python_less(a.first, b.first);
  });
  ValueList out;
  for (const auto& [key, index] : keyed) out.push_back(items[index]);
  return Value::list(std::move(out));
}

Value f_string(Interpreter& interp, const Value& v, CallArgs& args) {
  check_args(args, "string", {});
  return str_value(interp, python_str(v));
}

Value f_sum(Interpreter& interp, const Value& v, CallArgs& args) {
  check_args(args, "sum", {"attribute", "start"});
  const Value* attribute = find_arg(args, 0, "attribute");
  const Value* start = find_arg(args, 1, "start");
  Value total = start ? *start : Value::integer(0);
  for (const Value& item : iterate(interp, v)) {
    Value x =
        attribute && !attribute->is_none() ? lookup_attribute(interp, item, *attribute) : item;
    total = binary_operation(interp, BinaryOp::add, total, x);
  }
  return total;
}

// jinja2's title filter: capitalizes each piece split at runs of "-", whitespace and brackets.
Value f_title(Interpreter& interp, const Value& v, CallArgs& args) {
  check_args(args, "title", {});
  std::u32string cps = decode_utf8(python_str(v));
  auto is_split = [](char32_t c) {
    return c == '-' || c == '(' || c == '{' || c == '[' || c == '<' || py_isspace(c);
  };
  std::string out;
  std::size_t i = 0;
  while (i < cps.size()) {
    std::size_t j = i;
    bool separator = is_split(cps[i]);
    while (j < cps.size() && is_split(cps[j]) == separator) ++j;
    std::u32string_view piece = std::u32string_view(cps).substr(i, j - i);
    if (separator) {
      out += encode_utf8(piece);
    } else {
      out += py_upper(encode_utf8(piece.substr(0, 1))) + py_lower(encode_utf8(piece.substr(1)));
    }
    i = j;
  }
  return str_value(interp, std::move(out));
}

Value f_tojson(Interpreter& interp, const Value& v, CallArgs& args) {
  check_args(args, "tojson", {"ensure_ascii", "indent", "separators", "sort_keys"});
  JsonDumpOptions options;
  const Value* ensure_ascii = find_arg(args, 0, "ensure_ascii");
  const Value* indent = find_arg(args, 1, "indent");
  const Value* separators = find_arg(args, 2, "separators");
  const Value* sort_keys = find_arg(args, 3, "sort_keys");
  options.ensure_ascii = ensure_ascii && ensure_ascii->truthy();
  options.sort_keys = sort_keys && sort_keys->truthy();
  if (indent && !indent->is_none()) {
    if (indent->is_string()) {
      if (indent->as_string().size() > 1000) fail_limit("tojson indent too large");
      options.indent = indent->as_string();
    } else {
      std::int64_t n = int_param(indent, 0, "tojson indent");
      if (n > 1000) fail_limit("tojson indent too large");
      options.indent = std::string(static_cast<std::size_t>(std::max<std::int64_t>(n, 0)), ' ');
    }
    options.item_separator = ",";
  }
  if (separators && !separators->is_none()) {
    if (!separators->is_list() || separators->as_list().size() != 2 ||
        !separators->as_list()[0].is_string() || !separators->as_list()[1].is_string()) {
      fail("tojson separators must be a pair of strings");
    }
    options.item_separator = separators->as_list()[0].as_string();
    options.key_separator = separators->as_list()[1].as_string();
  }
  return str_value(interp, json_dumps(v, options));
}

Value f_trim(Interpreter& interp, const Value& v, CallArgs& args) {
  check_args(args, "trim", {"chars"});
  const Value* chars = find_arg(args, 0, "chars");
  if (chars && !chars->is_none()) {
    std::u32string set = decode_utf8(python_str(*chars));
    return str_value(interp, py_strip(python_str(v), true, true, &set));
  }
  return str_value(interp, py_strip(python_str(v), true, true, nullptr));
}

Value f_truncate(Interpreter& interp, const Value& v, CallArgs& args) {
  check_args(args, "truncate", {"length", "killwords", "end", "leeway"});
  std::int64_t length = int_param(find_arg(args, 0, "length"), 255, "truncate");
  const Value* killwords = find_arg(args, 1, "killwords");
  const Value* end_v = find_arg(args, 2, "end");
  std::int64_t leeway = int_param(find_arg(args, 3, "leeway"), 5, "truncate");
  std::string end = end_v ? python_str(*end_v) : "...";
  std::u32string cps = decode_utf8(python_str(v));
  auto end_len = static_cast<std::int64_t>(code_point_count(end));
  if (length < end_len)
    fail("expected length >= " + std::to_string(end_len) + ", got " + std::to_string(length));
  if (leeway < 0) fail("expected leeway >= 0, got " + std::to_string(leeway));
  if (static_cast<std::int64_t>(cps.size()) <= length + leeway)
    return Value::string(encode_utf8(cps));
  std::string head =
      encode_utf8(std::u32string_view(cps).substr(0, static_cast<std::size_t>(length - end_len)));
  if (killwords && killwords->truthy()) return str_value(interp, head + end);
  std::size_t space = head.rfind(' ');
  if (space != std::string::npos) head = head.substr(0, space);
  return str_value(interp, head + end);
}

Value f_unique(Interpreter& interp, const Value& v, CallArgs& args) {
  check_args(args, "unique", {"case_sensitive", "attribute"});
  const Value* cs = find_arg(args, 0, "case_sensitive");
  const Value* attribute = find_arg(args, 1, "attribute");
  bool case_sensitive = cs && cs->truthy();
  Dict seen;
  ValueList out;
  for (const Value& item : iterate(interp, v)) {
    Value key = sort_key(interp, item, attribute, case_sensitive);
    if (seen.find(key)) continue;
    seen.set(key, Value::none());
    out.push_back(item);
  }
  return Value::list(std::move(out));
}

Value f_wordcount(Interpreter&, const Value& v, CallArgs& args) {
  check_args(args, "wordcount", {});
  std::int64_t count = 0;
  bool in_word = false;
  for (char32_t c : decode_utf8(python_str(v))) {
    bool word = c == '_' || py_isalnum(c);
    if (word && !in_word) ++count;
    in_word = word;
  }
  return Value::integer(count);
}

const std::unordered_map<std::string_view, Filter>& filter_table() {
  static const std::unordered_map<std::string_view, Filter> table = {
      {"abs", f_abs},
      {"batch", f_batch},
      {"capitalize", f_capitalize},
      {"center", f_center},
      {"count", f_length},
      {"d", f_default},
      {"default", f_default},
      {"dictsort", f_dictsort},
      {"e", f_escape},
      {"escape", f_escape},
      {"first", f_first},
      {"float", f_float},
      {"forceescape", f_escape},
      {"format", f_format},
      {"indent", f_indent},
      {"int", f_int},
      {"items", f_items},
      {"join", f_join},
      {"last", f_last},
      {"length", f_length},
      {"list", f_list},
      {"lower", f_lower},
      {"map", f_map},
      {"max", f_max},
      {"min", f_min},
      {"reject", f_reject},
      {"rejectattr", f_rejectattr},
      {"replace", f_replace},
      {"reverse", f_reverse},
      {"round", f_round},
      {"safe", f_safe},
      {"select", f_select},
      {"selectattr", f_selectattr},
      {"sort", f_sort},
      {"string", f_string},
      {"sum", f_sum},
      {"title", f_title},
      {"tojson", f_tojson},
      {"trim", f_trim},
      {"truncate", f_truncate},
      {"unique", f_unique},
      {"upper", f_upper},
      {"wordcount", f_wordcount},
  };
  return table;
}

}  // namespace

bool is_known_filter(std::string_view name) {
  return filter_table().count(name) != 0;
}

Value apply_filter(Interpreter& interp, const std::string& name, const Value& input,
                   CallArgs& args) {
  auto it = filter_table().find(name);
  if (it == filter_table().end()) fail("no filter named '" + name + "'");
  return it->second(interp, input, args);
}

}  // namespace r1::tmpl
