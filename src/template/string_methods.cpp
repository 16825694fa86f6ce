// Python str methods available to templates ("abc".split(), .strip(), .startswith()...).
#include <algorithm>

#include "template/builtins.h"
#include "template/errors.h"
#include "template/interpreter.h"
#include "template/operators.h"
#include "template/python_format.h"
#include "template/unicode_text.h"

namespace r1::tmpl {
namespace {

using Method = Value (*)(Interpreter&, const Value&, CallArgs&);

const std::string& string_arg(const Value* v, const char* function) {
  if (!v || !v->is_string()) {
    fail(std::string(function) + "() argument must be str, not " +
         (v ? python_type_name(*v) : std::string("nothing")));
  }
  return v->as_string();
}

std::int64_t int_arg(const Value* v, std::int64_t fallback, const char* function) {
  if (!v || v->is_none()) return fallback;
  if (!(v->is_int() || v->is_bool())) {
    fail(std::string(function) + "() argument must be int, not " + python_type_name(*v));
  }
  return v->as_int();
}

Value make_string(Interpreter& interp, std::string s) {
  interp.charge_string(s.size());
  return Value::string(std::move(s));
}

Value str_upper(Interpreter& interp, const Value& self, CallArgs& args) {
  check_args(args, "upper", {});
  return make_string(interp, py_upper(self.as_string()));
}
Value str_lower(Interpreter& interp, const Value& self, CallArgs& args) {
  check_args(args, "lower", {});
  return make_string(interp, py_lower(self.as_string()));
}
Value str_title(Interpreter& interp, const Value& self, CallArgs& args) {
  check_args(args, "title", {});
  return make_string(interp, py_title(self.as_string()));
}
Value str_capitalize(Interpreter& interp, const Value& self, CallArgs& args) {
  check_args(args, "capitalize", {});
  return make_string(interp, py_capitalize(self.as_string()));
}

Value strip_impl(Interpreter& interp, const Value& self, CallArgs& args, bool left, bool right,
                 const char* name) {
  check_args(args, name, {"chars"});
  const Value* chars = find_arg(args, 0, "chars");
  if (chars && !chars->is_none()) {
    std::u32string set = decode_utf8(string_arg(chars, name));
    return make_string(interp, py_strip(self.as_string(), left, right, &set));
  }
  return make_string(interp, py_strip(self.as_string(), left, right, nullptr));
}
Value str_strip(Interpreter& i, const Value& s, CallArgs& a) {
  return strip_impl(i, s, a, true, true, "strip");
}
Value str_lstrip(Interpreter& i, const Value& s, CallArgs& a) {
  return strip_impl(i, s, a, true, false, "lstrip");
}
Value str_rstrip(Interpreter& i, const Value& s, CallArgs& a) {
  return strip_impl(i, s, a, false, true, "rstrip");
}

ValueList split_whitespace(const std::string& text, std::int64_t maxsplit, bool from_right) {
  std::u32string cps = decode_utf8(text);
  ValueList parts;
  if (!from_right) {
    std::size_t i = 0;
    std::size_t n = cps.size();
    while (true) {
      while (i < n && py_isspace(cps[i])) ++i;
      if (i >= n) break;
      if (maxsplit >= 0 && static_cast<std::int64_t>(parts.size()) == maxsplit) {
        parts.push_back(Value::string(encode_utf8(std::u32string_view(cps).substr(i))));
        break;
      }
      std::size_t j = i;
      while (j < n && !py_isspace(cps[j])) ++j;
      parts.push_back(Value::string(encode_utf8(std::u32string_view(cps).substr(i, j - i))));
      i = j;
    }
    return parts;
  }
  std::size_t end = cps.size();
  while (true) {
    while (end > 0 && py_isspace(cps[end - 1])) --end;
    if (end == 0) break;
    if (maxsplit >= 0 && static_cast<std::int64_t>(parts.size()) == maxsplit) {
      parts.push_back(Value::string(encode_utf8(std::u32string_view(cps).substr(0, end))));
      break;
    }
    std::size_t begin = end;
    while (begin > 0 && !py_isspace(cps[begin - 1])) --begin;
    parts.push_back(
        Value::string(encode_utf8(std::u32string_view(cps).substr(begin, end - begin))));
    end = begin;
  }
  std::reverse(parts.begin(), parts.end());
  return parts;
}

ValueList split_separator(const std::string& text, const std::string& sep, std::int64_t maxsplit,
                          bool from_right) {
  if (sep.empty()) fail("empty separator");
  ValueList parts;
  if (!from_right) {
    std::size_t start = 0;
    while (true) {
      if (maxsplit >= 0 && static_cast<std::int64_t>(parts.size()) == maxsplit) break;
      std::size_t found = text.find(sep, start);
      if (found == std::string::npos) break;
      parts.push_back(Value::string(text.substr(start, found - start)));
      start = found + sep.size();
    }
    parts.push_back(Value::string(text.substr(start)));
    return parts;
  }
  std::size_t end = text.size();
  while (true) {
    if (maxsplit >= 0 && static_cast<std::int64_t>(parts.size()) == maxsplit) break;
    if (end < sep.size()) break;
    std::size_t found = text.rfind(sep, end - sep.size());
    if (found == std::string::npos) break;
    parts.push_back(Value::string(text.substr(found + sep.size(), end - found - sep.size())));
    end = found;
  }
  parts.push_back(Value::string(text.substr(0, end)));
  std::reverse(parts.begin(), parts.end());
  return parts;
}

Value split_impl(Interpreter& interp, const Value& self, CallArgs& args, bool from_right) {
  const char* name = from_right ? "rsplit" : "split";
  check_args(args, name, {"sep", "maxsplit"});
  const Value* sep = find_arg(args, 0, "sep");
  std::int64_t maxsplit = int_arg(find_arg(args, 1, "maxsplit"), -1, name);
  ValueList parts =
      sep && !sep->is_none()
          ? split_separator(self.as_string(), string_arg(sep, name), maxsplit, from_right)
          : split_whitespace(self.as_string(), maxsplit, from_right);
  interp.charge_list(parts.size());
  interp.charge_string(self.as_string().size());
  return Value::list(std::move(parts));
}
Value str_split(Interpreter& i, const Value& s, CallArgs& a) {
  return split_impl(i, s, a, false);
}
Value str_rsplit(Interpreter& i, const Value& s, CallArgs& a) {
  return split_impl(i, s, a, true);
}

bool is_line_break(char32_t cp) {
  return cp == '\n' || cp == '\r' || cp == 0x0B || cp == 0x0C || cp == 0x1C || cp == 0x1D ||
         cp == 0x1E || cp == 0x85 || cp == 0x2028 || cp == 0x2029;
}

Value str_splitlines(Interpreter& interp, const Value& self, CallArgs& args) {
  check_args(args, "splitlines", {"keepends"});
  const Value* keep = find_arg(args, 0, "keepends");
  bool keepends = keep && keep->truthy();
  std::u32string cps = decode_utf8(self.as_string());
  ValueList lines;
  std::size_t start = 0;
  std::size_t i = 0;
  while (i < cps.size()) {
    if (!is_line_break(cps[i])) {
      ++i;
      continue;
    }
    std::size_t eol = i + ((cps[i] == '\r' && i + 1 < cps.size() && cps[i + 1] == '\n') ? 2 : 1);
    std::size_t end = keepends ? eol : i;
    lines.push_back(
        Value::string(encode_utf8(std::u32string_view(cps).substr(start, end - start))));
    start = i = eol;
  }
  if (start < cps.size())
    lines.push_back(Value::string(encode_utf8(std::u32string_view(cps).substr(start))));
  interp.charge_list(lines.size());
  interp.charge_string(self.as_string().size());
  return Value::list(std::move(lines));
}

// Byte range [begin, end) of the code point range given by optional start/end arguments.
void code_point_range(const std::string& text, const Value* start_v, const Value* end_v,
                      const char* name, std::size_t& begin, std::size_t& end) {
  std::u32string cps;
  bool ascii = is_ascii(text);
  if (!ascii) cps = decode_utf8(text);
  auto n = static_cast<std::int64_t>(ascii ? text.size() : cps.size());
  auto norm = [&](std::int64_t i) {
    if (i < 0) i = std::max<std::int64_t>(0, i + n);
    return std::min(i, n);
  };
  std::int64_t s = norm(int_arg(start_v, 0, name));
  std::int64_t e = norm(int_arg(end_v, n, name));
  if (e < s) e = s;
  if (ascii) {
    begin = static_cast<std::size_t>(s);
    end = static_cast<std::size_t>(e);
    return;
  }
  begin = encode_utf8(std::u32string_view(cps).substr(0, static_cast<std::size_t>(s))).size();
  end = encode_utf8(std::u32string_view(cps).substr(0, static_cast<std::size_t>(e))).size();
}

Value affix_impl(const Value& self, CallArgs& args, bool prefix) {
  const char* name = prefix ? "startswith" : "endswith";
  check_args(args, name, {"affix", "start", "end"});
  const Value* affix = find_arg(args, 0, "affix");
  if (!affix) fail(std::string(name) + "() takes at least 1 argument (0 given)");
  std::size_t begin, end;
  code_point_range(self.as_string(), find_arg(args, 1, "start"), find_arg(args, 2, "end"), name,
                   begin, end);
  std::string_view text = std::string_view(self.as_string()).substr(begin, end - begin);
  auto matches = [&](const Value& candidate) {
    if (!candidate.is_string()) {
      fail(std::string(name) + " first arg must be str or a tuple of str, not " +
           python_type_name(candidate));
    }
    const std::string& a = candidate.as_string();
    if (a.size() > text.size()) return false;
    return prefix ? text.substr(0, a.size()) == a : text.substr(text.size() - a.size()) == a;
  };
  if (affix->is_tuple()) {
    for (const Value& candidate : affix->as_list()) {
      if (matches(candidate)) return Value::boolean(true);
    }
    return Value::boolean(false);
  }
  return Value::boolean(matches(*affix));
}
Value str_startswith(Interpreter&, const Value& s, CallArgs& a) {
  return affix_impl(s, a, true);
}
Value str_endswith(Interpreter&, const Value& s, CallArgs& a) {
  return affix_impl(s, a, false);
}

Value str_replace(Interpreter& interp, const Value& self, CallArgs& args) {
  check_args(args, "replace", {"old", "new", "count"});
  const std::string& old_text = string_arg(find_arg(args, 0, "old"), "replace");
  const std::string& new_text = string_arg(find_arg(args, 1, "new"), "replace");
  std::int64_t count = int_arg(find_arg(args, 2, "count"), -1, "replace");
  const std::string& text = self.as_string();
  std::string out;
  std::int64_t done = 0;
  if (old_text.empty()) {
    std::u32string cps = decode_utf8(text);
    for (std::size_t i = 0; i <= cps.size(); ++i) {
      if (count < 0 || done < count) {
        out += new_text;
        ++done;
      }
      if (i < cps.size()) out += encode_utf8(std::u32string(1, cps[i]));
      interp.charge_string(out.size());
    }
    return Value::string(std::move(out));
  }
  std::size_t start = 0;
  while (count < 0 || done < count) {
    std::size_t found = text.find(old_text, start);
    if (found == std::string::npos) break;
    out.append(text, start, found - start);
    out += new_text;
    interp.charge_string(out.size());
    start = found + old_text.size();
    ++done;
  }
  out.append(text, start, std::string::npos);
  return make_string(interp, std::move(out));
}

Value find_impl(const Value& self, CallArgs& args, bool from_right, bool raise, const char* name) {
  check_args(args, name, {"sub", "start", "end"});
  const std::string& sub = string_arg(find_arg(args, 0, "sub"), name);
  std::size_t begin, end;
  code_point_range(self.as_string(), find_arg(args, 1, "start"), find_arg(args, 2, "end"), name,
                   begin, end);
  std::string_view text = std::string_view(self.as_string()).substr(begin, end - begin);
  std::size_t found = from_right ? text.rfind(sub) : text.find(sub);
  if (found == std::string_view::npos) {
    if (raise) fail("substring not found");
    return Value::integer(-1);
  }
  std::size_t byte = begin + found;
  return Value::integer(static_cast<std::int64_t>(
      code_point_count(std::string_view(self.as_string()).substr(0, byte))));
}
Value str_find(Interpreter&, const Value& s, CallArgs& a) {
  return find_impl(s, a, false, false, "find");
}
Value str_rfind(Interpreter&, const Value& s, CallArgs& a) {
  return find_impl(s, a, true, false, "rfind");
}
Value str_index(Interpreter&, const Value& s, CallArgs& a) {
  return find_impl(s, a, false, true, "index");
}
Value str_rindex(Interpreter&, const Value& s, CallArgs& a) {
  return find_impl(s, a, true, true, "rindex");
}

Value str_count(Interpreter&, const Value& self, CallArgs& args) {
  check_args(args, "count", {"sub", "start", "end"});
  const std::string& sub = string_arg(find_arg(args, 0, "sub"), "count");
  std::size_t begin, end;
  code_point_range(self.as_string(), find_arg(args, 1, "start"), find_arg(args, 2, "end"), "count",
                   begin, end);
  std::string_view text = std::string_view(self.as_string()).substr(begin, end - begin);
  if (sub.empty()) return Value::integer(static_cast<std::int64_t>(code_point_count(text) + 1));
  std::int64_t n = 0;
  for (std::size_t pos = text.find(sub); pos != std::string_view::npos;
       pos = text.find(sub, pos + sub.size())) {
    ++n;
  }
  return Value::integer(n);
}

Value str_join(Interpreter& interp, const Value& self, CallArgs& args) {
  check_args(args, "join", {"iterable"});
  const Value* iterable = find_arg(args, 0, "iterable");
  if (!iterable) fail("join() takes exactly one argument (0 given)");
  ValueList items = iterate(interp, *iterable);
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (!items[i].is_string()) {
      fail("sequence item " + std::to_string(i) + ": expected str instance, " +
           python_type_name(items[i]) + " found");
    }
    if (i) out += self.as_string();
    out += items[i].as_string();
    interp.charge_string(out.size());
  }
  return Value::string(std::move(out));
}

Value str_format(Interpreter& interp, const Value& self, CallArgs& args) {
  return make_string(interp, python_str_format(interp, self.as_string(), args));
}

template <bool (*Pred)(char32_t)>
Value char_class(Interpreter&, const Value& self, CallArgs& args) {
  check_args(args, "is", {});
  std::u32string cps = decode_utf8(self.as_string());
  if (cps.empty()) return Value::boolean(false);
  return Value::boolean(std::all_of(cps.begin(), cps.end(), Pred));
}

Value case_class(const Value& self, bool upper) {
  bool any_cased = false;
  for (char32_t cp : decode_utf8(self.as_string())) {
    if (upper ? py_islower(cp) : py_isupper(cp)) return Value::boolean(false);
    if (upper ? py_isupper(cp) : py_islower(cp)) any_cased = true;
  }
  return Value::boolean(any_cased);
}
Value str_isupper(Interpreter&, const Value& s, CallArgs& a) {
  check_args(a, "isupper", {});
  return case_class(s, true);
}
Value str_islower(Interpreter&, const Value& s, CallArgs& a) {
  check_args(a, "islower", {});
  return case_class(s, false);
}

Value pad_impl(Interpreter& interp, const Value& self, CallArgs& args, int where,
               const char* name) {
  check_args(args, name, {"width", "fillchar"});
  std::int64_t width = int_arg(find_arg(args, 0, "width"), 0, name);
  const Value* fill_v = find_arg(args, 1, "fillchar");
  std::string fill = fill_v ? string_arg(fill_v, name) : std::string(" ");
  if (code_point_count(fill) != 1) fail("The fill character must be exactly one character long");
  auto len = static_cast<std::int64_t>(code_point_count(self.as_string()));
  if (width <= len) return self;
  interp.charge_string(static_cast<std::size_t>(width) * fill.size());
  std::int64_t margin = width - len;
  std::int64_t left = where < 0 ? 0 : where > 0 ? margin : margin / 2 + (margin & width & 1);
  std::string out;
  for (std::int64_t i = 0; i < left; ++i) out += fill;
  out += self.as_string();
  for (std::int64_t i = 0; i < margin - left; ++i) out += fill;
  return Value::string(std::move(out));
}
Value str_center(Interpreter& i, const Value& s, CallArgs& a) {
  return pad_impl(i, s, a, 0, "center");
}
Value str_ljust(Interpreter& i, const Value& s, CallArgs& a) {
  return pad_impl(i, s, a, -1, "ljust");
}
Value str_rjust(Interpreter& i, const Value& s, CallArgs& a) {
  return pad_impl(i, s, a, 1, "rjust");
}

Value str_removeprefix(Interpreter&, const Value& self, CallArgs& args) {
  check_args(args, "removeprefix", {"prefix"});
  const std::string& p = string_arg(find_arg(args, 0, "prefix"), "removeprefix");
  const std::string& s = self.as_string();
  return s.compare(0, p.size(), p) == 0 ? Value::string(s.substr(p.size())) : self;
}
Value str_removesuffix(Interpreter&, const Value& self, CallArgs& args) {
  check_args(args, "removesuffix", {"suffix"});
  const std::string& p = string_arg(find_arg(args, 0, "suffix"), "removesuffix");
  const std::string& s = self.as_string();
  if (p.empty() || p.size() > s.size() || s.compare(s.size() - p.size(), p.size(), p) != 0)
    return self;
  return Value::string(s.substr(0, s.size() - p.size()));
}

Value partition_impl(const Value& self, CallArgs& args, bool from_right) {
  const char* name = from_right ? "rpartition" : "partition";
  check_args(args, name, {"sep"});
  const std::string& sep = string_arg(find_arg(args, 0, "sep"), name);
  if (sep.empty()) fail("empty separator");
  const std::string& s = self.as_string();
  std::size_t found = from_right ? s.rfind(sep) : s.find(sep);
  if (found == std::string::npos) {
    return from_right ? Value::list({Value::string(""), Value::string(""), self}, true)
                      : Value::list({self, Value::string(""), Value::string("")}, true);
  }
  return Value::list({Value::string(s.substr(0, found)), Value::string(sep),
                      Value::string(s.substr(found + sep.size()))},
                     true);
}
Value str_partition(Interpreter&, const Value& s, CallArgs& a) {
  return partition_impl(s, a, false);
}
Value str_rpartition(Interpreter&, const Value& s, CallArgs& a) {
  return partition_impl(s, a, true);
}

struct NamedMethod {
  const char* name;
  Method body;
};

const NamedMethod kMethods[] = {
    {"upper", str_upper},
    {"lower", str_lower},
    {"casefold", str_lower},
    {"title", str_title},
    {"capitalize", str_capitalize},
    {"strip", str_strip},
    {"lstrip", str_lstrip},
    {"rstrip", str_rstrip},
    {"split", str_split},
    {"rsplit", str_rsplit},
    {"splitlines", str_splitlines},
    {"startswith", str_startswith},
    {"endswith", str_endswith},
    {"replace", str_replace},
    {"find", str_find},
    {"rfind", str_rfind},
    {"index", str_index},
    {"rindex", str_rindex},
    {"count", str_count},
    {"join", str_join},
    {"format", str_format},
    {"isdigit", char_class<py_isdigit>},
    {"isdecimal", char_class<py_isdigit>},
    {"isnumeric", char_class<py_isdigit>},
    {"isalpha", char_class<py_isalpha>},
    {"isalnum", char_class<py_isalnum>},
    {"isspace", char_class<py_isspace>},
    {"isupper", str_isupper},
    {"islower", str_islower},
    {"center", str_center},
    {"ljust", str_ljust},
    {"rjust", str_rjust},
    {"removeprefix", str_removeprefix},
    {"removesuffix", str_removesuffix},
    {"partition", str_partition},
    {"rpartition", str_rpartition},
};

}  // namespace

Value string_method(Interpreter&, const Value& receiver, const std::string& name) {
  for (const NamedMethod& m : kMethods) {
    if (name == m.name) return make_method(name, receiver, m.body);
  }
  return Value::undefined("'str object' has no attribute '" + name + "'");
}

}  // namespace r1::tmpl
