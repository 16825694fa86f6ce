#include "cli/tokenizer_export.h"

#include <filesystem>
#include <memory>

#include "core/file.h"

namespace r1::cli {

io::HfTokenizerFiles tokenizer_files(const model::LoadedModel& model) {
  const std::filesystem::path folder = model.gguf ? model.path.parent_path() : model.path;
  if (!model.gguf || std::filesystem::exists(folder / "tokenizer.json")) {
    io::HfTokenizerFiles files;
    files.tokenizer_json = read_text_file(folder / "tokenizer.json");
    const auto config = folder / "tokenizer_config.json";
    files.tokenizer_config_json =
        std::filesystem::exists(config) ? read_text_file(config) : std::string("{}");
    return files;
  }
  return io::tokenizer_files_from_gguf(model.gguf->metadata(), model.path.string());
}

model::TokenizerExport tokenizer_export(const model::LoadedModel& model) {
  auto files = std::make_shared<io::HfTokenizerFiles>(tokenizer_files(model));
  const std::int64_t rows = model.config.vocab_size;
  const std::string origin = model.path.string();
  // The converter also takes special-token ids from config.json when tokenizer_config.json has
  // none; a GGUF source has no config.json.
  const auto config_path = model.path / "config.json";
  auto config = std::make_shared<std::string>(
      !model.gguf && std::filesystem::exists(config_path) ? read_text_file(config_path) : "");
  return [files, rows, origin, config](io::GgufWriter& writer) {
    io::add_tokenizer_to_gguf(writer, files->tokenizer_json, files->tokenizer_config_json, rows,
                              origin, *config);
  };
}

}  // namespace r1::cli
