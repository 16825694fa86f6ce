// r1 chat: an interactive conversation in the terminal. The history goes through the chat
// template every turn (so earlier thinking is dropped as the template says), and the keys/values
// of the unchanged prefix are reused instead of recomputed. Ctrl-C stops the current answer.
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/generation_options.h"
#include "engine/generator.h"
#include "r1/error.h"

namespace r1::cli {
namespace {

std::atomic<bool> g_interrupted{false};

void on_sigint(int) {
  g_interrupted = true;
}

void install_sigint_handler() {
  struct sigaction action {};
  action.sa_handler = on_sigint;
  action.sa_flags = SA_RESTART;  // reading the next line goes on after a Ctrl-C
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
}

}  // namespace

int run_chat(int argc, char** argv, int first) {
  std::vector<OptionSpec> specs = {
      value_option("system", "S", "A system message for the whole conversation"),
      flag_option("hide-thinking", "Do not print the model's thinking"),
  };
  append_generation_options(specs);
  Args args("chat", std::move(specs));
  if (!args.parse(argc, argv, first)) {
    std::cout << args.help_text(
        "Chat in the terminal. Commands: /reset (new conversation), /save FILE (messages as "
        "JSON), /exit. Ctrl-C stops the current answer; Ctrl-D ends.");
    return 0;
  }
  LoadedSession session = load_session(args);
  engine::GenerationRequest request = make_request(args, session);
  engine::Generator generator(*session.model->transformer, session.tokenizer, session.stop_ids,
                              *session.cache);
  install_sigint_handler();
  const bool terminal = isatty(STDOUT_FILENO) != 0;

  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  auto start_conversation = [&] {
    messages = nlohmann::ordered_json::array();
    if (args.has("system"))
      messages.push_back({{"role", "system"}, {"content", args.get("system")}});
    generator.reset();
  };
  start_conversation();

  std::string line;
  while (true) {
    if (terminal) std::fputs("\n> ", stdout);
    std::fflush(stdout);
    if (!std::getline(std::cin, line)) break;
    if (line.empty()) continue;
    if (line == "/exit" || line == "/quit") break;
    if (line == "/reset") {
      start_conversation();
      std::fputs("(new conversation)\n", stdout);
      continue;
    }
    if (line.rfind("/save ", 0) == 0) {
      const std::string path = line.substr(6);
      std::ofstream out(path);
      out << messages.dump(2) << "\n";
      std::fprintf(stdout, out ? "(saved %s)\n" : "(could not write %s)\n", path.c_str());
      continue;
    }
    messages.push_back({{"role", "user"}, {"content", line}});
    ChatTemplateInputs inputs;
    inputs.messages = messages;
    const std::string prompt = session.render(inputs);
    request.prompt = session.tokenizer.encode(prompt, {.special_tokens = SpecialTokens::skip});

    ThinkingFilter thinking(session.tokenizer, prompt, terminal, args.flag("hide-thinking"));
    std::string answer;
    g_interrupted = false;
    engine::GenerationStats stats;
    try {
      stats = generator.generate(request, [&](std::string_view text, TokenId id) {
        answer += text;
        const std::string shown = thinking.filter(text, id);
        std::fwrite(shown.data(), 1, shown.size(), stdout);
        std::fflush(stdout);
        return !g_interrupted.load();
      });
    } catch (const Error& error) {
      // A turn that cannot run (e.g. the conversation outgrew the context) keeps the program up.
      std::fprintf(stderr, "\nerror: %s\n", error.what());
      messages.erase(messages.end() - 1);
      continue;
    }
    const std::string tail = thinking.finish();
    std::fwrite(tail.data(), 1, tail.size(), stdout);
    std::fputs("\n", stdout);
    // The thinking is kept in the message; the template drops it from later prompts.
    messages.push_back({{"role", "assistant"}, {"content", answer}});
    print_stats(stats, session);
  }
  return 0;
}

}  // namespace r1::cli
