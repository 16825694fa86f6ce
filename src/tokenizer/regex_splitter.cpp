#include "tokenizer/regex_splitter.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <array>
#include <cstdio>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>

#include "core/utf8.h"
#include "r1/error.h"
#include "tokenizer/split_known_patterns.h"
#include "tokenizer/unicode.h"

namespace r1::tok {
namespace {

// Limits that turn catastrophic backtracking into an error instead of a hang or a crash.
constexpr std::uint32_t kMatchLimit = 50'000'000;
constexpr std::uint32_t kHeapLimitKib = 256 * 1024;
constexpr std::size_t kJitStackStart = 64 * 1024;
constexpr std::size_t kJitStackMax = 16 * 1024 * 1024;

std::string pcre2_message(int code) {
  std::array<PCRE2_UCHAR, 256> buffer{};
  pcre2_get_error_message(code, buffer.data(), buffer.size());
  return reinterpret_cast<const char*>(buffer.data());
}

// ---------------------------------------------------------------------------------------------
// Oniguruma -> PCRE2 translation. Character properties are expanded into explicit code point
// ranges computed from utf8proc, so the PCRE2 path classifies characters with exactly the same
// Unicode data as the hand-written splitters (PCRE2's built-in tables are an older version).

using CodePointRanges = std::vector<std::pair<char32_t, char32_t>>;

CodePointRanges ranges_where(bool (*predicate)(char32_t, std::uint32_t), std::uint32_t arg) {
  CodePointRanges ranges;
  bool open = false;
  for (char32_t cp = 0; cp <= 0x10FFFF; ++cp) {
    const bool in = !(cp >= 0xD800 && cp <= 0xDFFF) && predicate(cp, arg);
    if (in && !open) {
      ranges.emplace_back(cp, cp);
      open = true;
    } else if (in) {
      ranges.back().second = cp;
    } else {
      open = false;
    }
  }
  return ranges;
}

CodePointRanges complement(const CodePointRanges& ranges) {
  CodePointRanges out;
  char32_t next = 0;
  for (const auto& [lo, hi] : ranges) {
    if (lo > next) out.emplace_back(next, lo - 1);
    next = hi + 1;
  }
  if (next <= 0x10FFFF) out.emplace_back(next, 0x10FFFF);
  // Surrogates are not characters; PCRE2 rejects them in UTF mode.
  CodePointRanges without_surrogates;
  for (const auto& [lo, hi] : out) {
    if (hi < 0xD800 || lo > 0xDFFF) {
      without_surrogates.emplace_back(lo, hi);
      continue;
    }
    if (lo < 0xD800) without_surrogates.emplace_back(lo, 0xD7FF);
    if (hi > 0xDFFF) without_surrogates.emplace_back(0xE000, hi);
  }
  return without_surrogates;
}

// Bit i set: general category i of utf8proc_category_t is in the set.
std::optional<std::uint32_t> general_category_mask(std::string_view name) {
  static const std::map<std::string_view, std::uint32_t> kMasks = [] {
    std::map<std::string_view, std::uint32_t> m;
    const char* names[] = {"Cn", "Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd",
                           "Nl", "No", "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Sm",
                           "Sc", "Sk", "So", "Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co"};
    for (std::uint32_t i = 0; i < 30; ++i) {
      m[names[i]] = 1u << i;
      const std::string_view major(names[i], 1);
      m[major] |= 1u << i;
    }
    m["LC"] = m["L&"] = m["Lu"] | m["Ll"] | m["Lt"];
    return m;
  }();
  const auto it = kMasks.find(name);
  if (it == kMasks.end()) return std::nullopt;
  return it->second;
}

bool in_category_mask(char32_t cp, std::uint32_t mask) {
  return (mask >> unicode::general_category(cp)) & 1u;
}

bool is_white_space_pred(char32_t cp, std::uint32_t) {
  return unicode::is_white_space(cp);
}

const CodePointRanges& category_ranges(std::uint32_t mask) {
  static std::mutex mutex;
  static std::map<std::uint32_t, CodePointRanges> cache;
  std::lock_guard lock(mutex);
  auto it = cache.find(mask);
  if (it == cache.end()) it = cache.emplace(mask, ranges_where(in_category_mask, mask)).first;
  return it->second;
}

const CodePointRanges& white_space_ranges() {
  static const CodePointRanges ranges = ranges_where(is_white_space_pred, 0);
  return ranges;
}

// Oniguruma's Unicode \w: letters, marks, decimal and letter numbers, connector punctuation,
// the Other_Alphabetic symbols (circled and squared Latin letters), no Join_Control. Outside a
// bracket class (arg 1) Oniguruma also counts the Latin-1 superscripts and fractions as word
// characters, inside one it does not (measured against Oniguruma).
bool is_oniguruma_word(char32_t cp, std::uint32_t outside_class) {
  switch (cp) {
    case 0xB2:
    case 0xB3:
    case 0xB9:
    case 0xBC:
    case 0xBD:
    case 0xBE:
      return outside_class != 0;
    default:
      break;
  }
  if ((cp >= 0x24B6 && cp <= 0x24E9) || (cp >= 0x1F130 && cp <= 0x1F149) ||
      (cp >= 0x1F150 && cp <= 0x1F169) || (cp >= 0x1F170 && cp <= 0x1F189)) {
    return true;
  }
  const int category = unicode::general_category(cp);
  return (category >= 1 && category <= 10) || category == 12;  // L*, M*, Nd, Nl, Pc
}

const CodePointRanges& word_ranges(bool in_class) {
  static const CodePointRanges outside = ranges_where(is_oniguruma_word, 1);
  static const CodePointRanges inside = ranges_where(is_oniguruma_word, 0);
  return in_class ? inside : outside;
}

void append_ranges(std::string& out, const CodePointRanges& ranges) {
  char buffer[40];
  for (const auto& [lo, hi] : ranges) {
    if (lo == hi) {
      std::snprintf(buffer, sizeof buffer, "\\x{%X}", static_cast<unsigned>(lo));
    } else {
      std::snprintf(buffer, sizeof buffer, "\\x{%X}-\\x{%X}", static_cast<unsigned>(lo),
                    static_cast<unsigned>(hi));
    }
    out += buffer;
  }
}

// Writes a set of code points: its ranges inline inside a bracket class, else as a class.
void append_set(std::string& out, const CodePointRanges& ranges, bool in_class) {
  if (ranges.empty()) {
    out += in_class ? "" : "(?!)";
    return;
  }
  if (!in_class) out += '[';
  append_ranges(out, ranges);
  if (!in_class) out += ']';
}

bool is_hex(char c) {
  return std::isxdigit(static_cast<unsigned char>(c)) != 0;
}

}  // namespace

std::string translate_oniguruma_regex(std::string_view regex, const std::string& json_path) {
  const auto fail = [&](const std::string& why) {
    throw Error(ErrorCode::invalid_file,
                json_path + ": regex \"" + std::string(regex) + "\" cannot be used: " + why);
  };
  const CodePointRanges hex_digits = {{'0', '9'}, {'A', 'F'}, {'a', 'f'}};
  std::string out;
  out.reserve(regex.size() * 2);
  bool in_class = false;
  std::size_t i = 0;
  while (i < regex.size()) {
    const char c = regex[i];
    if (c == '[' && !in_class) {
      in_class = true;
      out += c;
      ++i;
      if (i < regex.size() && regex[i] == '^') out += regex[i++];
      if (i < regex.size() && regex[i] == ']') out += regex[i++];  // a literal ']' first
      continue;
    }
    if (c == '[' && in_class) {
      if (regex.compare(i, 2, "[:") == 0) {  // POSIX class such as [:alpha:]
        const std::size_t close = regex.find(":]", i + 2);
        if (close == std::string_view::npos) fail("unterminated POSIX class");
        out.append(regex.substr(i, close + 2 - i));
        i = close + 2;
        continue;
      }
      fail("nested character classes are an Oniguruma extension PCRE2 lacks");
    }
    if (c == ']' && in_class) {
      in_class = false;
      out += c;
      ++i;
      continue;
    }
    if (c != '\\' || i + 1 >= regex.size()) {
      out += c;
      ++i;
      continue;
    }
    const char e = regex[i + 1];
    i += 2;
    switch (e) {
      case 's':
        append_set(out, white_space_ranges(), in_class);
        break;
      case 'S':
        append_set(out, complement(white_space_ranges()), in_class);
        break;
      case 'd':  // Unicode decimal digits, with the same tables as \p{Nd}
        append_set(out, category_ranges(*general_category_mask("Nd")), in_class);
        break;
      case 'D':
        append_set(out, complement(category_ranges(*general_category_mask("Nd"))), in_class);
        break;
      case 'h':  // Oniguruma: a hexadecimal digit (PCRE2: horizontal space)
        append_set(out, hex_digits, in_class);
        break;
      case 'H':
        append_set(out, complement(hex_digits), in_class);
        break;
      case 'p':
      case 'P': {
        if (i >= regex.size() || regex[i] != '{') fail("\\p must be followed by {name}");
        const std::size_t close = regex.find('}', i);
        if (close == std::string_view::npos) fail("unterminated \\p{...}");
        std::string_view name = regex.substr(i + 1, close - i - 1);
        bool negated = e == 'P';
        if (!name.empty() && name[0] == '^') {
          negated = !negated;
          name.remove_prefix(1);
        }
        if (const auto mask = general_category_mask(name)) {
          const CodePointRanges& ranges = category_ranges(*mask);
          append_set(out, negated ? complement(ranges) : ranges, in_class);
        } else {
          // Script and binary properties: PCRE2's own tables.
          out += negated ? "\\P{" : "\\p{";
          out.append(name);
          out += '}';
        }
        i = close + 1;
        break;
      }
      case 'u': {  // Oniguruma \uHHHH
        if (i + 4 > regex.size() || !is_hex(regex[i]) || !is_hex(regex[i + 1]) ||
            !is_hex(regex[i + 2]) || !is_hex(regex[i + 3])) {
          fail("\\u must be followed by four hexadecimal digits");
        }
        out += "\\x{";
        out.append(regex.substr(i, 4));
        out += '}';
        i += 4;
        break;
      }
      case 'w':
        append_set(out, word_ranges(in_class), in_class);
        break;
      case 'W':
        append_set(out, complement(word_ranges(in_class)), in_class);
        break;
      default:
        out += '\\';
        out += e;
        break;
    }
  }
  return out;
}

namespace {

// Per-thread PCRE2 scratch: the JIT stack and match context cannot be shared between threads.
struct Pcre2ThreadState {
  pcre2_match_context* context = nullptr;
  pcre2_jit_stack* jit_stack = nullptr;
  pcre2_match_data* match_data = nullptr;

  Pcre2ThreadState() {
    context = pcre2_match_context_create(nullptr);
    jit_stack = pcre2_jit_stack_create(kJitStackStart, kJitStackMax, nullptr);
    match_data = pcre2_match_data_create(1, nullptr);
    if (context == nullptr || jit_stack == nullptr || match_data == nullptr) {
      throw Error(ErrorCode::limit_exceeded, "out of memory allocating regex match state");
    }
    pcre2_set_match_limit(context, kMatchLimit);
    pcre2_set_heap_limit(context, kHeapLimitKib);
    pcre2_jit_stack_assign(context, nullptr, jit_stack);
  }
  ~Pcre2ThreadState() {
    pcre2_match_data_free(match_data);
    pcre2_jit_stack_free(jit_stack);
    pcre2_match_context_free(context);
  }
  Pcre2ThreadState(const Pcre2ThreadState&) = delete;
  Pcre2ThreadState& operator=(const Pcre2ThreadState&) = delete;
};

Pcre2ThreadState& thread_state() {
  thread_local Pcre2ThreadState state;
  return state;
}

class RegexPattern final : public TextPattern {
 public:
  RegexPattern(std::string_view regex, const std::string& json_path) : source_(regex) {
    const std::string translated = translate_oniguruma_regex(regex, json_path);
    int error = 0;
    PCRE2_SIZE error_offset = 0;
    // MULTILINE: in Oniguruma's default syntax ^ and $ match at every line start / end.
    code_ = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(translated.data()), translated.size(),
                          PCRE2_UTF | PCRE2_UCP | PCRE2_MULTILINE, &error, &error_offset, nullptr);
    if (code_ == nullptr) {
      throw Error(ErrorCode::invalid_file, json_path + ": regex \"" + source_ +
                                               "\" does not compile: " + pcre2_message(error));
    }
    // JIT is an optimization only: without it (unsupported CPU) the interpreter runs.
    pcre2_jit_compile(code_, PCRE2_JIT_COMPLETE);
  }
  ~RegexPattern() override { pcre2_code_free(code_); }
  RegexPattern(const RegexPattern&) = delete;
  RegexPattern& operator=(const RegexPattern&) = delete;

  void find_all(std::string_view text, std::vector<MatchSpan>& matches) const override {
    Pcre2ThreadState& state = thread_state();
    const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
    std::size_t search_from = 0;
    std::optional<std::size_t> last_match_end;
    std::uint32_t options = 0;  // the first call checks the whole subject is valid UTF-8
    while (search_from <= text.size()) {
      const int rc = pcre2_match(code_, subject, text.size(), search_from, options,
                                 state.match_data, state.context);
      options = PCRE2_NO_UTF_CHECK;
      if (rc == PCRE2_ERROR_NOMATCH) break;
      if (rc < 0) fail(rc, search_from);
      const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(state.match_data);
      const std::size_t start = ovector[0];
      const std::size_t end = ovector[1];
      if (start == end && last_match_end == end) {
        // Like the onig crate: no empty match right after the previous match; retry one
        // character further.
        if (search_from >= text.size()) break;
        const std::size_t n = utf8::valid_sequence_length(text, search_from);
        search_from += n == 0 ? 1 : n;
        continue;
      }
      matches.push_back({start, end});
      search_from = end;
      last_match_end = end;
    }
  }

 private:
  [[noreturn]] void fail(int rc, std::size_t offset) const {
    const bool limit = rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
                       rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT ||
                       rc == PCRE2_ERROR_NOMEMORY;
    throw Error(limit ? ErrorCode::limit_exceeded : ErrorCode::invalid_argument,
                "regex \"" + source_ + "\" failed on the input text searching from byte offset " +
                    std::to_string(offset) + ": " + pcre2_message(rc) +
                    (limit ? " (split the input into smaller requests)" : ""));
  }

  std::string source_;
  pcre2_code* code_ = nullptr;
};

class LiteralPattern final : public TextPattern {
 public:
  explicit LiteralPattern(std::string_view literal) : literal_(literal) {}

  void find_all(std::string_view text, std::vector<MatchSpan>& matches) const override {
    if (literal_.empty()) {
      // The empty regex matches at every character boundary.
      std::size_t pos = 0;
      while (true) {
        matches.push_back({pos, pos});
        if (pos >= text.size()) break;
        const std::size_t n = utf8::valid_sequence_length(text, pos);
        pos += n == 0 ? 1 : n;
      }
      return;
    }
    std::size_t pos = text.find(literal_);
    while (pos != std::string_view::npos) {
      matches.push_back({pos, pos + literal_.size()});
      pos = text.find(literal_, pos + literal_.size());
    }
  }

 private:
  std::string literal_;
};

class KnownSplitPattern final : public TextPattern {
 public:
  explicit KnownSplitPattern(KnownPattern pattern) : pattern_(pattern) {}

  void find_all(std::string_view text, std::vector<MatchSpan>& matches) const override {
    std::size_t pos = 0;
    while (pos < text.size()) {
      const std::size_t end = known_pattern_match_end(pattern_, text, pos);
      matches.push_back({pos, end});
      pos = end;
    }
  }

 private:
  KnownPattern pattern_;
};

}  // namespace

std::unique_ptr<TextPattern> make_regex_pattern(std::string_view regex,
                                                const std::string& json_path) {
  return std::make_unique<RegexPattern>(regex, json_path);
}

std::unique_ptr<TextPattern> make_literal_pattern(std::string_view literal) {
  return std::make_unique<LiteralPattern>(literal);
}

std::unique_ptr<TextPattern> make_text_pattern(const nlohmann::json& spec,
                                               const std::string& json_path) {
  if (spec.is_object() && spec.size() == 1) {
    if (const auto it = spec.find("String"); it != spec.end() && it->is_string()) {
      return make_literal_pattern(it->get_ref<const std::string&>());
    }
    if (const auto it = spec.find("Regex"); it != spec.end() && it->is_string()) {
      const std::string& regex = it->get_ref<const std::string&>();
      if (const auto known = find_known_pattern(regex)) {
        return std::make_unique<KnownSplitPattern>(*known);
      }
      return make_regex_pattern(regex, json_path + ".Regex");
    }
  }
  throw Error(ErrorCode::invalid_file, json_path +
                                           ": a pattern must be {\"String\": \"...\"} or "
                                           "{\"Regex\": \"...\"}, found " +
                                           spec.dump());
}

}  // namespace r1::tok
