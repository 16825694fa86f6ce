#include "cli/model_dir.h"

#include "cli/model_source.h"
#include "io/gguf.h"
#include "io/gguf_tokenizer.h"
#include "r1/error.h"

namespace r1::cli {
namespace {

std::filesystem::path require_tokenizer_json(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::exists(dir / "tokenizer.json", ec)) {
    throw Error(ErrorCode::not_found, "model folder '" + dir.string() +
                                          "' has no tokenizer.json; r1 needs the Hugging Face "
                                          "tokenizer files next to the weights");
  }
  return dir;
}

bool is_gguf_file(const std::filesystem::path& path) {
  std::error_code ec;
  return path.extension() == ".gguf" && std::filesystem::is_regular_file(path, ec);
}

}  // namespace

Tokenizer load_model_tokenizer(const Args& args) {
  const std::filesystem::path path = locate_model(args);
  if (!is_gguf_file(path)) return Tokenizer::load(require_tokenizer_json(path));
  // Files beside a GGUF file win, as they do when the model is loaded (cli/tokenizer_export.h).
  std::error_code ec;
  if (std::filesystem::exists(path.parent_path() / "tokenizer.json", ec)) {
    return Tokenizer::load(path.parent_path());
  }
  const io::GgufFile file = io::GgufFile::open(path);
  const io::HfTokenizerFiles files = io::tokenizer_files_from_gguf(file.metadata(), path.string());
  return Tokenizer::from_json(files.tokenizer_json, files.tokenizer_config_json, path.string());
}

}  // namespace r1::cli
