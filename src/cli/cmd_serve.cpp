// r1 serve: the OpenAI-compatible server arrives with the server issue; until then this command
// says so instead of pretending.
#include <cstdio>
#include <iostream>

#include "cli/args.h"
#include "cli/commands.h"

namespace r1::cli {

int run_serve(int argc, char** argv, int first) {
  Args args("serve", {
                         value_option("model", "M", "Model folder or Hugging Face repo id"),
                         value_option("host", "HOST", "Address to listen on", "127.0.0.1"),
                         value_option("port", "PORT", "Port to listen on", "7860"),
                     });
  if (!args.parse(argc, argv, first)) {
    std::cout << args.help_text("Serves the OpenAI-compatible API and the web chat.");
    return 0;
  }
  std::fprintf(stderr,
               "r1 serve is not available yet: this build generates from the command line (r1 run, "
               "r1 chat) but has no HTTP server. The OpenAI-compatible server and the web chat are "
               "the next milestones (see README, 'Status').\n");
  return 1;
}

}  // namespace r1::cli
