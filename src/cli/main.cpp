#include "cli/commands.h"

int main(int argc, char** argv) {
  return r1::cli::run_main(argc, argv);
}
