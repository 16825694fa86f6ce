#include "hub/hub_test_support.h"

namespace r1::test {

std::string weights_content() {
  std::string data(300000, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((i * i + 7 * i + (i >> 8)) & 0xff);
  return data;
}

std::string extra_content() {
  std::string data(5000, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((31 * i + 3) & 0xff);
  return data;
}

std::vector<FixtureFile> fixture_files() {
  return {
      {"config.json", "{\"model_type\": \"qwen2\"}\n", false, "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee01"},
      {"tokenizer.json", "{\"version\": \"1.0\"}\n", false, "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee02"},
      {"model.safetensors", weights_content(), true, kWeightsSha256},
      {"nested/dir/extra.bin", extra_content(), true, kExtraSha256},
  };
}

hub::HubSettings fixture_settings(const FixtureHub& fixture, const std::filesystem::path& cache) {
  hub::HubSettings settings;
  settings.endpoint = fixture.endpoint();
  settings.cache_dir = cache;
  return settings;
}

hub::RetryPolicy quick_retries() {
  hub::RetryPolicy policy;
  policy.attempts = 3;
  policy.first_delay = std::chrono::milliseconds(5);
  policy.max_delay = std::chrono::milliseconds(20);
  return policy;
}

}  // namespace r1::test
