// r1 tokenize: prints token ids as one JSON array, exactly like HF tokenizer(text).input_ids.
#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/model_dir.h"
#include "cli/model_source.h"
#include "core/file.h"
#include "r1/tokenizer.h"

namespace r1::cli {
namespace {

std::string read_stdin() {
  return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
}

}  // namespace

int run_tokenize(int argc, char** argv, int first) {
  Args args(
      "tokenize",
      {
          value_option("model", "M", "Model folder, .gguf file or Hugging Face repo id", "", Required::yes),
          offline_option(),
          value_option("text", "TEXT", "Text to tokenize"),
          value_option("file", "FILE", "Read the text from FILE ('-': stdin)"),
          flag_option("no-bos", "Do not add the special tokens of the post-processor (BOS)"),
          flag_option("split-special",
                      "Encode special-token text as plain text (HF split_special_tokens=True)"),
          flag_option("split-all-added",
                      "Encode all added-token text, special or not, as plain text"),
      });
  if (!args.parse(argc, argv, first)) {
    std::cout << args.help_text("Prints the token ids of TEXT as one JSON array.");
    return 0;
  }
  if (args.has("text") == args.has("file")) {
    throw UsageError{"give exactly one of --text TEXT or --file FILE"};
  }
  std::string text;
  if (args.has("text")) {
    text = args.get("text");
  } else if (args.get("file") == "-") {
    text = read_stdin();
  } else {
    text = read_text_file(args.get("file"));
  }

  const Tokenizer tokenizer = load_model_tokenizer(args);
  EncodeOptions options;
  options.special_tokens = args.flag("no-bos") ? SpecialTokens::skip : SpecialTokens::add;
  if (args.flag("split-all-added")) {
    options.added_token_text = AddedTokenText::split_all;
  } else if (args.flag("split-special")) {
    options.added_token_text = AddedTokenText::split_special;
  }
  const std::vector<TokenId> ids = tokenizer.encode(text, options);

  std::string out = "[";
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) out += ", ";
    out += std::to_string(ids[i]);
  }
  out += "]\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace r1::cli
