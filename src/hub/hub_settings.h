// Where and how r1 talks to the Hugging Face hub, read from the environment variables
// huggingface_hub reads: HF_ENDPOINT, HF_TOKEN (or the token file), HF_HUB_OFFLINE, and the cache
// folder (HF_HUB_CACHE, HF_HOME, ...; io/model_locator.h).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "io/model_locator.h"

namespace r1::hub {

inline constexpr const char* kDefaultEndpoint = "https://huggingface.co";

struct HubSettings {
  std::string endpoint = kDefaultEndpoint;  // no trailing '/'
  std::optional<std::string> token;         // sent as "Authorization: Bearer <token>"
  std::string token_source;                 // "HF_TOKEN" or the token file's path, for messages
  bool offline = false;                     // HF_HUB_OFFLINE: never use the network
  std::filesystem::path cache_dir;          // the hub cache (models--org--name/ live here)
};

/// True for the values huggingface_hub treats as true: 1, ON, YES, TRUE (any case).
bool is_true_value(const std::string& value);

/// Reads the settings. The token is $HF_TOKEN, else the file $HF_TOKEN_PATH, else $HF_HOME/token
/// (HF_HOME defaults to $XDG_CACHE_HOME/huggingface, then ~/.cache/huggingface), whitespace
/// stripped. Throws Error(invalid_argument) for an HF_ENDPOINT that is not an http(s) URL and
/// Error(not_found) when no cache folder can be formed (no HOME).
HubSettings read_hub_settings(const io::EnvironmentLookup& environment);

}  // namespace r1::hub
