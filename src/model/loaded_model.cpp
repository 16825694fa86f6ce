#include "model/loaded_model.h"

#include "core/file.h"

namespace r1::model {

std::unique_ptr<LoadedModel> load_model(const std::filesystem::path& folder,
                                        const LoadOptions& options) {
  const auto config_path = folder / "config.json";
  io::ModelConfig config =
      io::parse_model_config(read_text_file(config_path), config_path.string());
  auto model = std::unique_ptr<LoadedModel>(
      new LoadedModel{config, io::CheckpointFiles::open(folder), nullptr});
  std::unique_ptr<ops::Backend> backend = options.backend == BackendKind::reference
                                              ? ops::make_reference_backend()
                                              : ops::make_cpu_backend(options.cpu);
  model->transformer = std::make_unique<Transformer>(
      model->config, bind_weights(model->files, model->config), std::move(backend));
  return model;
}

}  // namespace r1::model
