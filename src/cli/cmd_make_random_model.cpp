// r1 make-random-model: writes a complete Hugging Face checkpoint with seeded random weights.
#include <charconv>
#include <cstdio>
#include <iostream>

#include "cli/args.h"
#include "cli/commands.h"
#include "model/random_checkpoint.h"

namespace r1::cli {

int run_make_random_model(int argc, char** argv, int first) {
  std::string presets;
  for (const auto& name : model::random_preset_names())
    presets += (presets.empty() ? "" : "|") + name;
  Args args(
      "make-random-model",
      {
          value_option("preset", "NAME", presets, "", Required::yes),
          value_option("dtype", "TYPE", "Weight type: bf16|f16|f32", "bf16"),
          value_option("seed", "N", "Seed of the weights (same seed, same file everywhere)", "0"),
          value_option("out", "DIR", "Folder to write the checkpoint to", "", Required::yes),
      });
  if (!args.parse(argc, argv, first)) {
    std::cout << args.help_text(
        "Writes config.json, model.safetensors, generation_config.json and the tokenizer files "
        "of a model with seeded random weights (normal, std 0.02; norms 1).");
    return 0;
  }
  model::RandomCheckpointOptions options;
  const auto preset = model::parse_random_preset(args.get("preset"));
  if (!preset)
    throw UsageError{"--preset must be one of " + presets + ", got '" + args.get("preset") + "'"};
  options.preset = *preset;
  const std::string dtype = args.get("dtype");
  if (dtype == "bf16") {
    options.dtype = io::DType::bf16;
  } else if (dtype == "f16") {
    options.dtype = io::DType::f16;
  } else if (dtype == "f32") {
    options.dtype = io::DType::f32;
  } else {
    throw UsageError{"--dtype must be bf16, f16 or f32, got '" + dtype + "'"};
  }
  const std::string seed_text = args.get("seed");
  auto [ptr, ec] =
      std::from_chars(seed_text.data(), seed_text.data() + seed_text.size(), options.seed);
  if (ec != std::errc() || ptr != seed_text.data() + seed_text.size()) {
    throw UsageError{"--seed expects a non-negative integer, got '" + seed_text + "'"};
  }
  options.out_dir = args.get("out");
  model::write_random_checkpoint(options);
  std::fprintf(stderr, "wrote %s (%s, %s, seed %s)\n", options.out_dir.c_str(),
               args.get("preset").c_str(), dtype.c_str(), seed_text.c_str());
  return 0;
}

}  // namespace r1::cli
