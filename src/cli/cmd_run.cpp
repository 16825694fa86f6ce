// r1 run: one prompt through the chat template (unless --raw), the answer streamed to stdout
// (thinking dimmed on a terminal), then timing and memory to stderr.
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/generation_options.h"
#include "engine/generator.h"
#include "r1/chat_template.h"

namespace r1::cli {

int run_run(int argc, char** argv, int first) {
  std::vector<OptionSpec> specs = {
      value_option("prompt", "TEXT", "The user message (or the whole prompt with --raw)", "",
                   Required::yes),
      value_option("system", "S", "A system message"),
      flag_option("raw", "Send the prompt as is, without the chat template"),
      flag_option("hide-thinking", "Do not print the model's thinking"),
  };
  append_generation_options(specs);
  Args args("run", std::move(specs));
  if (!args.parse(argc, argv, first)) {
    std::cout << args.help_text(
        "Generates an answer and streams it to stdout; timings and memory go to stderr.");
    return 0;
  }
  LoadedSession session = load_session(args);

  std::string prompt = args.get("prompt");
  if (!args.flag("raw")) {
    ChatTemplateInputs inputs;
    if (args.has("system"))
      inputs.messages.push_back({{"role", "system"}, {"content", args.get("system")}});
    inputs.messages.push_back({{"role", "user"}, {"content", prompt}});
    prompt = session.render(inputs);
  }
  engine::GenerationRequest request = make_request(args, session);
  request.prompt = session.tokenizer.encode(
      prompt, {.special_tokens = args.flag("raw") ? SpecialTokens::add : SpecialTokens::skip});

  // The DeepSeek-R1 template opens the thinking block itself (the prompt ends in "<think>\n").
  ThinkingFilter thinking(session.tokenizer, prompt, isatty(STDOUT_FILENO) != 0,
                          args.flag("hide-thinking"));
  engine::Generator generator(*session.model->transformer, session.tokenizer, session.stop_ids,
                              *session.cache);
  const engine::GenerationStats stats =
      generator.generate(request, [&](std::string_view text, TokenId id) {
        const std::string shown = thinking.filter(text, id);
        std::fwrite(shown.data(), 1, shown.size(), stdout);
        std::fflush(stdout);
        return true;
      });
  const std::string tail = thinking.finish();
  std::fwrite(tail.data(), 1, tail.size(), stdout);
  std::fputs("\n", stdout);
  print_stats(stats, session);
  return 0;
}

}  // namespace r1::cli
