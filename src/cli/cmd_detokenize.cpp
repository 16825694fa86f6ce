// r1 detokenize: prints the text of token ids, like HF tokenizer.decode(ids).
#include <charconv>
#include <cstdio>
#include <iostream>
#include <string>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/model_dir.h"
#include "cli/model_source.h"
#include "cli/token_ids.h"
#include "r1/tokenizer.h"

namespace r1::cli {

int run_detokenize(int argc, char** argv, int first) {
  Args args(
      "detokenize",
      {
          value_option("model", "M", "Model folder, .gguf file or Hugging Face repo id", "", Required::yes),
          offline_option(),
          value_option("ids", "IDS", "Token ids: 1,2,3 or [1, 2, 3]", "", Required::yes),
          flag_option("skip-special", "Leave special tokens out (HF skip_special_tokens=True)"),
      });
  if (!args.parse(argc, argv, first)) {
    std::cout << args.help_text("Prints the text of the token ids, with nothing added.");
    return 0;
  }
  const std::vector<TokenId> ids = parse_token_ids(args.get("ids"));
  const Tokenizer tokenizer = load_model_tokenizer(args);
  DecodeOptions options;
  options.skip_special = args.flag("skip-special") ? SkipSpecial::yes : SkipSpecial::no;
  const std::string text = tokenizer.decode(ids, options);
  std::fwrite(text.data(), 1, text.size(), stdout);
  return 0;
}

}  // namespace r1::cli
