// What the hub tests share: the fixture repo (files whose sha256 were computed with Python's
// hashlib, not with r1), settings pointing at a fixture, and a quick retry policy.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "hub/fixture_hub.h"
#include "hub/hub_connection.h"

namespace r1::test {

inline constexpr const char* kRepo = "fixture-org/tiny-model";
inline constexpr const char* kCommit = "0123456789abcdef0123456789abcdef01234567";

/// 300,000 bytes: byte i = (i*i + 7*i + (i >> 8)) mod 256.
std::string weights_content();
/// hashlib.sha256(weights_content()).hexdigest()
inline constexpr const char* kWeightsSha256 =
    "503e4bb672def16245f894c460a187a0b4f440b238d93e49edec1862f70281bf";
/// 5,000 bytes: byte i = (31*i + 3) mod 256.
std::string extra_content();
inline constexpr const char* kExtraSha256 =
    "288a2ffe05bf1df650d36cdc440df0a9a748dacbaf3d7becae705444006b16c3";

/// config.json and tokenizer.json (plain git files, etags chosen here), model.safetensors and
/// nested/dir/extra.bin (LFS).
std::vector<FixtureFile> fixture_files();

/// Settings for the fixture: its endpoint, a fresh cache folder, no token.
hub::HubSettings fixture_settings(const FixtureHub& fixture, const std::filesystem::path& cache);

/// Retries after 5 ms, 3 tries.
hub::RetryPolicy quick_retries();

}  // namespace r1::test
