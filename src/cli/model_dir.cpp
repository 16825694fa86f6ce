#include "cli/model_dir.h"

#include "r1/error.h"

namespace r1::cli {

std::filesystem::path resolve_model_dir(const std::string& model) {
  const std::filesystem::path dir(model);
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    throw Error(ErrorCode::not_found,
                "model folder '" + model +
                    "' does not exist; pass --model with a folder that holds tokenizer.json "
                    "(and config.json, model.safetensors for inference)");
  }
  if (!std::filesystem::exists(dir / "tokenizer.json", ec)) {
    throw Error(ErrorCode::not_found, "model folder '" + model +
                                          "' has no tokenizer.json; r1 needs the Hugging Face "
                                          "tokenizer files next to the weights");
  }
  return dir;
}

}  // namespace r1::cli
