// The tiny random Qwen2 checkpoint the engine tests run on: written once per test process and
// seed into the scratch folder, then loaded with its tokenizer.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "model/loaded_model.h"
#include "model/random_checkpoint.h"
#include "r1/tokenizer.h"
#include "test_paths.h"

namespace r1::engine::test_support {

struct TinyModel {
  std::filesystem::path folder;
  std::unique_ptr<model::LoadedModel> model;
  Tokenizer tokenizer;
};

inline TinyModel& tiny_model(std::uint32_t seed) {
  static std::map<std::uint32_t, std::unique_ptr<TinyModel>> models;
  auto& slot = models[seed];
  if (!slot) {
    const auto folder = test::scratch_dir("engine_qwen2_tiny_seed" + std::to_string(seed));
    std::filesystem::remove_all(folder);
    model::write_random_checkpoint({model::RandomPreset::qwen2_tiny, io::DType::f32, seed, folder});
    slot.reset(new TinyModel{folder, model::load_model(folder), Tokenizer::load(folder)});
  }
  return *slot;
}

}  // namespace r1::engine::test_support
