// The subcommands of the r1 program. Each takes the arguments after its name.
#pragma once

#include <string>
#include <vector>

namespace r1::cli {

struct Command {
  const char* name;
  const char* summary;
  int (*run)(int argc, char** argv, int first);  // parse argv[first..argc)
};

/// All subcommands in the order `r1 --help` lists them.
const std::vector<Command>& commands();

/// Entry point used by main(): dispatches, prints errors, returns the exit code
/// (0 success, 1 runtime error, 2 usage error).
int run_main(int argc, char** argv);

int run_tokenize(int argc, char** argv, int first);
int run_detokenize(int argc, char** argv, int first);
int run_template(int argc, char** argv, int first);
int run_run(int argc, char** argv, int first);
int run_chat(int argc, char** argv, int first);
int run_logits(int argc, char** argv, int first);
int run_bench(int argc, char** argv, int first);
int run_perplexity(int argc, char** argv, int first);
int run_quantize(int argc, char** argv, int first);
int run_make_random_model(int argc, char** argv, int first);
int run_serve(int argc, char** argv, int first);
int run_pull(int argc, char** argv, int first);
int run_devices(int argc, char** argv, int first);

}  // namespace r1::cli
