#include "model/loaded_model.h"

#include <fstream>

#include "core/file.h"
#include "model/gguf_config.h"
#include "model/pack_weights.h"
#include "model/quantize_weights.h"

namespace r1::model {

bool is_gguf_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return false;
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  return in.read(magic, 4) && std::string_view(magic, 4) == "GGUF";
}

std::unique_ptr<LoadedModel> load_model(const std::filesystem::path& path,
                                        const LoadOptions& options) {
  auto model = std::make_unique<LoadedModel>();
  model->path = path;
  std::optional<WeightSource> source;
  if (is_gguf_file(path)) {
    model->gguf = io::GgufFile::open(path);
    model->config = model_config_from_gguf(*model->gguf);
    source = WeightSource::from_gguf(*model->gguf);
  } else {
    const auto config_path = path / "config.json";
    model->config = io::parse_model_config(read_text_file(config_path), config_path.string());
    model->safetensors = io::CheckpointFiles::open(path);
    source = WeightSource::from_safetensors(*model->safetensors);
  }
  ModelWeights weights = bind_weights(*source, model->config);
  std::unique_ptr<ops::Backend> backend = options.backend == BackendKind::reference
                                              ? ops::make_reference_backend()
                                              : ops::make_cpu_backend(options.cpu);
  if (options.quantize) quantize_weights(weights, *options.quantize);
  if (options.backend == BackendKind::cpu && options.pack_weights) pack_weights_for_cpu(weights);
  model->transformer =
      std::make_unique<Transformer>(model->config, std::move(weights), std::move(backend));
  return model;
}

std::size_t LoadedModel::file_tensor_bytes() const {
  std::size_t bytes = 0;
  if (safetensors) {
    for (const io::TensorView* view : safetensors->tensors()) bytes += view->nbytes;
  }
  if (gguf) {
    for (const io::GgufTensorView& view : gguf->tensors()) bytes += view.nbytes;
  }
  return bytes;
}

double LoadedModel::parameter_count() const {
  double count = 0;
  if (safetensors) {
    for (const io::TensorView* view : safetensors->tensors())
      count += static_cast<double>(view->element_count());
  }
  if (gguf) {
    for (const io::GgufTensorView& view : gguf->tensors())
      count += static_cast<double>(view.element_count);
  }
  return count;
}

}  // namespace r1::model
