// r1 quantize: a model (Hugging Face folder or GGUF file) written as a GGUF file in the chosen
// type, with its tokenizer and chat template, loadable by r1 and by llama.cpp.
#include <chrono>
#include <cstdio>
#include <iostream>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/generation_options.h"
#include "cli/model_source.h"
#include "cli/tokenizer_export.h"
#include "model/gguf_export.h"
#include "model/loaded_model.h"

namespace r1::cli {

int run_quantize(int argc, char** argv, int first) {
  Args args("quantize",
            {
                value_option("model", "M", "Model folder, .gguf file or Hugging Face repo id", "",
                             Required::yes),
                offline_option(),
                value_option("out", "FILE.gguf", "The GGUF file to write", "", Required::yes),
                value_option("type", "TYPE",
                             "f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q4_k, q5_k, q6_k, or "
                             "llama.cpp's mixes q4_k_m, q5_k_m",
                             "", Required::yes),
            });
  if (!args.parse(argc, argv, first)) {
    std::cout << args.help_text(
        "Writes the model as a GGUF file (llama.cpp's names and metadata, the tokenizer and chat "
        "template included) with its matrices in TYPE; norms and biases stay f32.");
    return 0;
  }
  const model::ExportType type = model::parse_export_type(args.get("type"));
  const auto path = locate_model(args);
  const auto start = std::chrono::steady_clock::now();
  const auto loaded = model::load_model(path);
  const std::uint64_t bytes =
      model::export_gguf(*loaded, type, tokenizer_export(*loaded), args.get("out"));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(stderr, "[r1] wrote %s (%s, %.2f GiB of tensors) in %.1f s\n",
               args.get("out").c_str(), type.name.c_str(),
               static_cast<double>(bytes) / (1024.0 * 1024.0 * 1024.0), seconds);
  return 0;
}

}  // namespace r1::cli
