#include <cstdio>
#include <cstring>
#include <iostream>

#include "cli/args.h"
#include "cli/commands.h"
#include "r1/error.h"

namespace r1::cli {

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      {"tokenize", "Text to token ids, like Hugging Face tokenizer(text).input_ids", run_tokenize},
      {"detokenize", "Token ids to text, like Hugging Face tokenizer.decode(ids)", run_detokenize},
      {"template", "Render a conversation with the model's chat template", run_template},
      {"run", "Answer one prompt, streaming the text (thinking dimmed)", run_run},
      {"chat", "Interactive chat in the terminal (history kept, KV cache reused)", run_chat},
      {"logits", "Next-token logits of the last position of a token sequence, as JSON", run_logits},
      {"quantize", "Write a model as a GGUF file in f16/bf16/q8_0/q4_k_m/... (llama.cpp loads it)",
       run_quantize},
      {"bench", "Prefill and decode speed like llama-bench (tok/s, GB/s, peak RSS)", run_bench},
      {"perplexity", "Perplexity of a text file, computed as llama.cpp's llama-perplexity does",
       run_perplexity},
      {"make-random-model", "Write a Hugging Face checkpoint with seeded random weights",
       run_make_random_model},
      {"serve", "OpenAI-compatible API server and web chat", run_serve},
      {"pull", "Download a Hugging Face repo into the Hugging Face cache (resumes, verifies)",
       run_pull},
      {"devices", "The CPU and CUDA devices r1 can compute on, and the kernels chosen", run_devices},
  };
  return table;
}

namespace {

void print_usage(std::FILE* out) {
  std::fprintf(out,
               "r1 %s — runs DeepSeek-R1-Distill-Qwen and other Qwen2/Llama models natively\n\n"
               "Usage: r1 COMMAND [options]\n\nCommands:\n",
               R1_VERSION);
  for (const auto& command : commands()) {
    std::fprintf(out, "  %-18s %s\n", command.name, command.summary);
  }
  std::fprintf(out, "\nRun 'r1 COMMAND --help' for the options of a command.\n");
}

}  // namespace

int run_main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0 ||
      std::strcmp(argv[1], "help") == 0) {
    print_usage(stdout);
    return argc < 2 ? 2 : 0;
  }
  if (std::strcmp(argv[1], "--version") == 0) {
    std::printf("r1 %s\n", R1_VERSION);
    return 0;
  }
  for (const auto& command : commands()) {
    if (std::strcmp(argv[1], command.name) != 0) continue;
    try {
      return command.run(argc, argv, 2);
    } catch (const UsageError& error) {
      std::fprintf(stderr, "error: %s\nRun 'r1 %s --help' for usage.\n", error.message.c_str(),
                   command.name);
      return 2;
    } catch (const Error& error) {
      std::fprintf(stderr, "error: %s\n", error.what());
      return 1;
    } catch (const std::exception& error) {
      std::fprintf(stderr, "error: %s\n", error.what());
      return 1;
    }
  }
  std::fprintf(stderr, "error: unknown command '%s'\n\n", argv[1]);
  print_usage(stderr);
  return 2;
}

}  // namespace r1::cli
