#include "hub/hub_settings.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "r1/error.h"

namespace r1::hub {
namespace {

namespace fs = std::filesystem;

std::optional<std::string> non_empty(const io::EnvironmentLookup& environment, const char* name) {
  std::optional<std::string> value = environment(name);
  if (value && value->empty()) return std::nullopt;
  return value;
}

std::string strip(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

std::optional<fs::path> expand_home(const std::string& path,
                                    const io::EnvironmentLookup& environment) {
  if (path == "~" || path.rfind("~/", 0) == 0) {
    const auto home = non_empty(environment, "HOME");
    if (!home) return std::nullopt;
    return fs::path(*home + path.substr(1));
  }
  return fs::path(path);
}

// huggingface_hub's constants.py: HF_HOME, else $XDG_CACHE_HOME/huggingface, else
// ~/.cache/huggingface; the token file is $HF_TOKEN_PATH or $HF_HOME/token.
std::optional<fs::path> token_file(const io::EnvironmentLookup& environment) {
  if (const auto path = non_empty(environment, "HF_TOKEN_PATH")) return expand_home(*path, environment);
  if (const auto home = non_empty(environment, "HF_HOME")) {
    const auto expanded = expand_home(*home, environment);
    if (expanded) return *expanded / "token";
    return std::nullopt;
  }
  if (const auto xdg = non_empty(environment, "XDG_CACHE_HOME")) {
    const auto expanded = expand_home(*xdg, environment);
    if (expanded) return *expanded / "huggingface" / "token";
    return std::nullopt;
  }
  const auto home = non_empty(environment, "HOME");
  if (!home) return std::nullopt;
  return fs::path(*home) / ".cache" / "huggingface" / "token";
}

}  // namespace

bool is_true_value(const std::string& value) {
  std::string upper = strip(value);
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return upper == "1" || upper == "ON" || upper == "YES" || upper == "TRUE";
}

HubSettings read_hub_settings(const io::EnvironmentLookup& environment) {
  HubSettings settings;
  if (const auto endpoint = non_empty(environment, "HF_ENDPOINT")) {
    std::string value = strip(*endpoint);
    while (!value.empty() && value.back() == '/') value.pop_back();
    if (value.rfind("http://", 0) != 0 && value.rfind("https://", 0) != 0) {
      throw Error(ErrorCode::invalid_argument,
                  "HF_ENDPOINT is '" + *endpoint +
                      "', not an http:// or https:// URL; set it to the hub or a mirror, e.g. "
                      "https://huggingface.co, or unset it");
    }
    settings.endpoint = value;
  }
  if (const auto token = non_empty(environment, "HF_TOKEN"); token && !strip(*token).empty()) {
    settings.token = strip(*token);
    settings.token_source = "HF_TOKEN";
  } else if (const auto file = token_file(environment)) {
    std::ifstream in(*file);
    if (in) {
      std::ostringstream text;
      text << in.rdbuf();
      const std::string value = strip(text.str());
      if (!value.empty()) {
        settings.token = value;
        settings.token_source = file->string();
      }
    }
  }
  if (const auto offline = environment("HF_HUB_OFFLINE")) settings.offline = is_true_value(*offline);
  const auto cache = io::hf_hub_cache_dir(environment);
  if (!cache) {
    throw Error(ErrorCode::not_found,
                "no Hugging Face cache folder: set HF_HUB_CACHE or HF_HOME (HOME is not set)");
  }
  settings.cache_dir = *cache;
  return settings;
}

}  // namespace r1::hub
