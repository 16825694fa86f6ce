#include "io/model_locator.h"

#include <cstdlib>
#include <vector>

#include "core/file.h"
#include "r1/error.h"

namespace r1::io {
namespace {

namespace fs = std::filesystem;

std::optional<std::string> non_empty(const EnvironmentLookup& environment, const char* name) {
  std::optional<std::string> value = environment(name);
  if (value && value->empty()) return std::nullopt;  // Python treats "" as set; a "" path is cwd.
  return value;
}

std::optional<fs::path> expand_home(const std::string& path, const EnvironmentLookup& environment) {
  if (path == "~" || path.rfind("~/", 0) == 0) {
    const std::optional<std::string> home = non_empty(environment, "HOME");
    if (!home) return std::nullopt;
    return fs::path(*home + path.substr(1));
  }
  return fs::path(path);
}

}  // namespace

bool is_hf_repo_id(const std::string& spec) {
  const auto slash = spec.find('/');
  if (slash == std::string::npos || spec.find('/', slash + 1) != std::string::npos) return false;
  const std::string parts[] = {spec.substr(0, slash), spec.substr(slash + 1)};
  for (const std::string& part : parts) {
    if (part.empty() || part == "." || part == ".." || part.size() > 96) return false;
    for (char c : part) {
      const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                           (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
      if (!allowed) return false;
    }
  }
  return true;
}

namespace {

std::string trim(std::string text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

std::vector<fs::path> list_snapshots(const fs::path& snapshots) {
  std::vector<fs::path> found;
  std::error_code ec;
  for (fs::directory_iterator it(snapshots, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_directory(ec)) found.push_back(it->path());
  }
  return found;
}

}  // namespace

EnvironmentLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

std::optional<fs::path> hf_hub_cache_dir(const EnvironmentLookup& environment) {
  // The precedence of huggingface_hub's constants.py.
  for (const char* name : {"HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"}) {
    if (const auto value = non_empty(environment, name)) return expand_home(*value, environment);
  }
  if (const auto home = non_empty(environment, "HF_HOME")) {
    const auto expanded = expand_home(*home, environment);
    if (!expanded) return std::nullopt;
    return *expanded / "hub";
  }
  if (const auto xdg = non_empty(environment, "XDG_CACHE_HOME")) {
    const auto expanded = expand_home(*xdg, environment);
    if (!expanded) return std::nullopt;
    return *expanded / "huggingface" / "hub";
  }
  const auto home = non_empty(environment, "HOME");
  if (!home) return std::nullopt;
  return fs::path(*home) / ".cache" / "huggingface" / "hub";
}

fs::path resolve_model(const std::string& spec, const EnvironmentLookup& environment) {
  std::error_code ec;
  if (!spec.empty() && fs::is_directory(spec, ec)) return fs::path(spec);
  if (!spec.empty() && fs::exists(spec, ec)) {
    if (spec.ends_with(".gguf") && fs::is_regular_file(spec, ec)) return fs::path(spec);
    throw Error(ErrorCode::invalid_argument,
                "--model " + spec +
                    " is a file but not a .gguf file; give a GGUF file, the model's folder or a "
                    "Hugging Face repo id");
  }
  std::string searched =
      "  - " + (spec.empty() ? std::string("(empty)") : spec) + " as a folder: does not exist\n";
  if (!is_hf_repo_id(spec)) {
    throw Error(ErrorCode::not_found,
                "model '" + spec + "' not found:\n" + searched +
                    "It is not a Hugging Face repo id either (expected org/name, e.g. "
                    "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B).");
  }
  const std::string download =
      "Download it with `huggingface-cli download " + spec + "` or `r1 pull " + spec + "`.";
  const std::optional<fs::path> cache = hf_hub_cache_dir(environment);
  if (!cache) {
    throw Error(ErrorCode::not_found,
                "model '" + spec + "' not found:\n" + searched +
                    "  - the Hugging Face cache: none of HF_HUB_CACHE, HF_HOME or HOME is set\n" +
                    download);
  }

  std::string folder_name = "models--" + spec;
  folder_name.replace(folder_name.find('/'), 1, "--");
  const fs::path repo_folder = *cache / folder_name;
  const fs::path snapshots = repo_folder / "snapshots";
  const fs::path ref = repo_folder / "refs" / "main";
  if (fs::exists(ref, ec)) {
    const std::string revision = trim(read_text_file(ref, 4096));
    if (revision.empty() || revision.find('/') != std::string::npos || revision == "." ||
        revision == "..") {
      throw Error(ErrorCode::invalid_file,
                  ref.string() + " holds '" + revision + "', not a commit hash. " + download);
    }
    const fs::path snapshot = snapshots / revision;
    if (fs::is_directory(snapshot, ec)) return snapshot;
    searched += "  - " + snapshot.string() + " (named by " + ref.string() + "): does not exist\n";
  } else {
    const std::vector<fs::path> found = list_snapshots(snapshots);
    if (found.size() == 1) return found.front();
    searched += "  - " + ref.string() + ": does not exist\n";
    searched += "  - " + snapshots.string() + ": " +
                (found.empty()
                     ? std::string("no snapshot")
                     : std::to_string(found.size()) + " snapshots and no refs/main to choose one") +
                "\n";
  }
  throw Error(ErrorCode::not_found, "model '" + spec + "' not found:\n" + searched +
                                        "(Hugging Face cache: " + cache->string() + ")\n" +
                                        download);
}

}  // namespace r1::io
