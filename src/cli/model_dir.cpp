#include "cli/model_dir.h"
#include "cli/model_source.h"

#include "r1/error.h"

namespace r1::cli {

std::filesystem::path resolve_model_dir(const Args& args) {
  const std::filesystem::path dir = locate_model(args);
  std::error_code ec;
  if (!std::filesystem::exists(dir / "tokenizer.json", ec)) {
    throw Error(ErrorCode::not_found, "model folder '" + dir.string() +
                                          "' has no tokenizer.json; r1 needs the Hugging Face "
                                          "tokenizer files next to the weights");
  }
  return dir;
}

}  // namespace r1::cli
