// r1 detokenize: prints the text of token ids, like HF tokenizer.decode(ids).
#include <charconv>
#include <cstdio>
#include <iostream>
#include <string>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/model_dir.h"
#include "r1/tokenizer.h"

namespace r1::cli {
namespace {

// Accepts "1,2,3", "1 2 3" and the JSON form "[1, 2, 3]".
std::vector<TokenId> parse_ids(const std::string& text) {
  std::vector<TokenId> ids;
  std::size_t pos = 0;
  auto is_separator = [](char c) {
    return c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '[' || c == ']';
  };
  while (pos < text.size()) {
    if (is_separator(text[pos])) {
      ++pos;
      continue;
    }
    std::size_t end = pos;
    while (end < text.size() && !is_separator(text[end])) ++end;
    long long value = 0;
    auto [ptr, ec] = std::from_chars(text.data() + pos, text.data() + end, value);
    if (ec != std::errc() || ptr != text.data() + end || value < 0 || value > INT32_MAX) {
      throw UsageError{"--ids: '" + text.substr(pos, end - pos) + "' at character " +
                       std::to_string(pos) + " is not a token id (a non-negative integer)"};
    }
    ids.push_back(static_cast<TokenId>(value));
    pos = end;
  }
  return ids;
}

}  // namespace

int run_detokenize(int argc, char** argv, int first) {
  Args args(
      "detokenize",
      {
          value_option("model", "DIR", "Model folder with tokenizer.json", "", Required::yes),
          value_option("ids", "IDS", "Token ids: 1,2,3 or [1, 2, 3]", "", Required::yes),
          flag_option("skip-special", "Leave special tokens out (HF skip_special_tokens=True)"),
      });
  if (!args.parse(argc, argv, first)) {
    std::cout << args.help_text("Prints the text of the token ids, with nothing added.");
    return 0;
  }
  const std::vector<TokenId> ids = parse_ids(args.get("ids"));
  const Tokenizer tokenizer = Tokenizer::load(resolve_model_dir(args.get("model")));
  DecodeOptions options;
  options.skip_special = args.flag("skip-special") ? SkipSpecial::yes : SkipSpecial::no;
  const std::string text = tokenizer.decode(ids, options);
  std::fwrite(text.data(), 1, text.size(), stdout);
  return 0;
}

}  // namespace r1::cli
