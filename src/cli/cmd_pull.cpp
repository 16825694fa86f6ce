// r1 pull: downloads a Hugging Face repo into the Hugging Face cache, as `huggingface-cli download`
// does, and prints the snapshot folder.
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "cli/args.h"
#include "cli/commands.h"
#include "hub/repo_pull.h"
#include "io/model_locator.h"

namespace r1::cli {
namespace {

constexpr const char* kSummary =
    "Downloads every file of REPO at --revision (or those matching --include and not --exclude, "
    "fnmatch globs as huggingface-cli takes them) into the Hugging Face cache: "
    "models--org--name/blobs/<etag>, snapshots/<commit>/ links and refs/<revision>, shared with "
    "transformers and huggingface-cli. Files already there are skipped; an interrupted download "
    "resumes. Prints the snapshot folder.\n\n"
    "Usage: r1 pull REPO [--revision R] [--include GLOB ...] [--exclude GLOB ...] [--offline]\n\n"
    "Environment: HF_ENDPOINT (a mirror), HF_TOKEN or $HF_HOME/token (gated and private repos), "
    "HF_HUB_OFFLINE=1, HF_HUB_CACHE / HF_HOME (where the cache is), https_proxy / no_proxy.";

struct PullCommandLine {
  std::string repo;
  std::vector<std::string> include, exclude;
  std::vector<char*> rest;  // for the option parser: the program, then the other options
};

// --include and --exclude take one or more globs each (until the next option), as huggingface-cli's
// do; REPO is the first argument that is not an option or an option's value.
PullCommandLine split_command_line(int argc, char** argv, int first) {
  PullCommandLine line;
  line.rest.push_back(argv[0]);
  std::vector<std::string>* list = nullptr;
  for (int i = first; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--include" || arg == "--exclude") {
      list = arg == "--include" ? &line.include : &line.exclude;
      if (i + 1 >= argc || std::strncmp(argv[i + 1], "--", 2) == 0)
        throw UsageError{"option '" + arg + "' needs at least one GLOB"};
      continue;
    }
    if (arg.rfind("--include=", 0) == 0 || arg.rfind("--exclude=", 0) == 0) {
      (arg[2] == 'i' ? line.include : line.exclude).push_back(arg.substr(10));
      list = nullptr;
      continue;
    }
    if (arg.rfind("-", 0) == 0) {
      list = nullptr;
      line.rest.push_back(argv[i]);
      if (arg == "--revision" && i + 1 < argc) line.rest.push_back(argv[++i]);
      continue;
    }
    if (list != nullptr) {
      list->push_back(arg);
    } else if (line.repo.empty()) {
      line.repo = arg;
    } else {
      throw UsageError{"unexpected argument '" + arg + "' (the repo is already '" + line.repo + "')"};
    }
  }
  return line;
}

}  // namespace

int run_pull(int argc, char** argv, int first) {
  PullCommandLine line = split_command_line(argc, argv, first);
  Args args("pull", {
                        value_option("revision", "R", "Branch, tag or commit to download", "main"),
                        value_option("include", "GLOB ...", "Only files matching a glob (repeatable)"),
                        value_option("exclude", "GLOB ...", "Leave out files matching a glob"),
                        flag_option("offline",
                                    "No network: print the cached snapshot, or fail (also "
                                    "HF_HUB_OFFLINE=1)"),
                    });
  if (!args.parse(static_cast<int>(line.rest.size()), line.rest.data(), 1)) {
    std::cout << args.help_text(kSummary);
    return 0;
  }
  if (line.repo.empty()) throw UsageError{"give the repo to download: r1 pull ORG/NAME"};
  if (!io::is_hf_repo_id(line.repo)) {
    throw UsageError{"'" + line.repo + "' is not a Hugging Face repo id; expected ORG/NAME, e.g. "
                     "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B"};
  }

  hub::HubSettings settings = hub::read_hub_settings(io::process_environment());
  if (args.flag("offline")) settings.offline = true;
  const auto progress = hub::make_progress(stderr);
  hub::HubConnection hub(settings, {}, [&](const std::string& text) { progress->note(text); });
  hub::PullOptions options;
  options.repo = line.repo;
  options.revision = args.get("revision");
  options.include = line.include;
  options.exclude = line.exclude;
  const hub::PullResult result = hub::pull_repo(hub, options, *progress);
  if (!settings.offline) {
    std::fprintf(stderr, "r1 pull: %s at %s (commit %s): %zu file%s downloaded, %zu already in the cache\n",
                 options.repo.c_str(), options.revision.c_str(), result.commit.c_str(),
                 result.downloaded, result.downloaded == 1 ? "" : "s", result.cached);
  }
  std::printf("%s\n", result.snapshot.c_str());
  return 0;
}

}  // namespace r1::cli
