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
  return [files, rows, origin](io::GgufWriter& writer) {
    io::add_tokenizer_to_gguf(writer, files->tokenizer_json, files->tokenizer_config_json, rows,
                              origin);
  };
}

}  // namespace r1::cli
