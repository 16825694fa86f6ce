#include "tokenizer/tokenizer_test_support.h"

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>

#include "test_paths.h"

namespace r1::test {

const Tokenizer& cached_tokenizer(const std::filesystem::path& model_dir) {
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<Tokenizer>> cache;
  std::lock_guard<std::mutex> lock(mutex);
  std::unique_ptr<Tokenizer>& slot = cache[model_dir.string()];
  if (!slot) slot = std::make_unique<Tokenizer>(Tokenizer::load(model_dir));
  return *slot;
}

const Tokenizer& deepseek_tokenizer() {
  return cached_tokenizer(deepseek_model_dir());
}

std::string escape_text(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7F) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\x%02X", c);
      out += buffer;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

std::string describe_id_difference(const Tokenizer& tokenizer, std::span<const TokenId> expected,
                                   std::span<const TokenId> actual) {
  if (std::equal(expected.begin(), expected.end(), actual.begin(), actual.end())) return "";
  std::size_t first = 0;
  while (first < expected.size() && first < actual.size() && expected[first] == actual[first])
    ++first;
  auto show = [&](std::span<const TokenId> ids) {
    std::ostringstream out;
    const std::size_t begin = first >= 3 ? first - 3 : 0;
    const std::size_t end = std::min(ids.size(), first + 4);
    if (begin > 0) out << "... ";
    for (std::size_t i = begin; i < end; ++i) {
      out << (i == first ? ">" : "") << ids[i];
      if (ids[i] >= 0 && ids[i] < tokenizer.vocab_size()) {
        out << "(\"" << escape_text(tokenizer.token_text(ids[i])) << "\")";
      }
      out << " ";
    }
    if (end < ids.size()) out << "...";
    return out.str();
  };
  std::ostringstream out;
  out << "first difference at index " << first << " (expected " << expected.size() << " ids, got "
      << actual.size() << ")\n      expected: " << show(expected)
      << "\n      actual:   " << show(actual);
  return out.str();
}

std::string describe_text_difference(const std::string& expected, const std::string& actual) {
  if (expected == actual) return "";
  std::size_t first = 0;
  while (first < expected.size() && first < actual.size() && expected[first] == actual[first])
    ++first;
  auto around = [&](const std::string& text) {
    const std::size_t begin = first >= 20 ? first - 20 : 0;
    return escape_text(text.substr(begin, 60));
  };
  std::ostringstream out;
  out << "first difference at byte " << first << " (expected " << expected.size() << " bytes, got "
      << actual.size() << ")\n      expected: \"" << around(expected) << "\"\n      actual:   \""
      << around(actual) << "\"";
  return out.str();
}

}  // namespace r1::test
