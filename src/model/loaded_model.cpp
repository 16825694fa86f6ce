#include "model/loaded_model.h"

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "core/file.h"
#include "model/gguf_config.h"
#include "model/pack_weights.h"
#include "model/quantize_weights.h"
#include "r1/error.h"
#if R1_HAVE_CUDA
#include "ops/cuda/cuda_backend.h"
#include "ops/cuda/cuda_device.h"
#endif

namespace r1::model {

bool is_gguf_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return false;
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  return in.read(magic, 4) && std::string_view(magic, 4) == "GGUF";
}

namespace {

// Every matrix and vector the ops read, in the order of the forward pass.
template <typename Fn>
void for_each_weight(const ModelWeights& w, Fn&& fn) {
  auto matrix = [&](const ops::WeightMatrix& m) {
    fn(m.data, ops::row_bytes(m) * static_cast<std::size_t>(m.rows));
  };
  auto vector = [&](const std::vector<float>& v) {
    if (!v.empty()) fn(v.data(), v.size() * sizeof(float));
  };
  auto linear = [&](const ops::Linear& l) {
    for (const ops::WeightMatrix& part : l.parts) matrix(part);
    vector(l.bias);
  };
  matrix(w.embed_tokens);
  for (const LayerWeights& layer : w.layers) {
    vector(layer.input_norm);
    linear(layer.qkv_proj);
    linear(layer.o_proj);
    vector(layer.post_attention_norm);
    linear(layer.gate_up_proj);
    linear(layer.down_proj);
  }
  vector(w.final_norm);
  linear(w.lm_head);
}

// The weight matrices' element types, each once (embedding, layers, output).
std::vector<DType> matrix_types(const ModelWeights& weights) {
  std::vector<DType> types;
  auto note = [&](DType type) {
    if (std::find(types.begin(), types.end(), type) == types.end()) types.push_back(type);
  };
  note(weights.embed_tokens.type);
  for (const LayerWeights& layer : weights.layers)
    for (const ops::Linear* l :
         {&layer.qkv_proj, &layer.o_proj, &layer.gate_up_proj, &layer.down_proj})
      for (const ops::WeightMatrix& part : l->parts) note(part.type);
  for (const ops::WeightMatrix& part : weights.lm_head.parts) note(part.type);
  return types;
}

// BackendKind::automatic: the GPU when there is one this build can use and it computes with
// every weight type; `why` says which was chosen and why.
BackendKind choose_backend(const ModelWeights& weights, std::string& why) {
#if R1_HAVE_CUDA
  const ops::cuda::DeviceProbe& probe = ops::cuda::probe_devices();
  if (!probe.usable()) {
    why = "the CPU (no usable GPU: " + probe.problem + ")";
    return BackendKind::cpu;
  }
  for (DType type : matrix_types(weights)) {
    if (!ops::cuda_backend_supports(type)) {
      why = std::string("the CPU (the GPU backend does not compute with ") +
            dtype_cli_name(type) + " weights yet)";
      return BackendKind::cpu;
    }
  }
  const ops::cuda::DeviceInfo& gpu = probe.devices.front();
  why = "cuda:0 " + gpu.name;
  return BackendKind::cuda;
#else
  (void)weights;
  why = "the CPU (this r1 was built without the CUDA kernels)";
  return BackendKind::cpu;
#endif
}

std::unique_ptr<ops::Backend> make_backend(const LoadOptions& options,
                                           const ModelWeights& weights) {
  switch (options.backend) {
    case BackendKind::reference:
      return ops::make_reference_backend();
    case BackendKind::cpu:
      return ops::make_cpu_backend(options.cpu);
    case BackendKind::cuda:
    case BackendKind::automatic:  // resolved by choose_backend before
      break;
  }
#if R1_HAVE_CUDA
  auto check = [](const ops::WeightMatrix& m, const char* what) {
    if (!ops::cuda_backend_supports(m.type)) {
      throw Error(ErrorCode::unsupported,
                  std::string("--device cuda computes with f32, f16, bf16 and q8_0 weights so "
                              "far; this model's ") +
                      what + " is " + dtype_cli_name(m.type) +
                      " (use a 16-bit or q8_0 model, --quant q8_0, or --device cpu)");
    }
  };
  check(weights.embed_tokens, "embedding");
  for (const LayerWeights& layer : weights.layers) {
    for (const ops::Linear* l :
         {&layer.qkv_proj, &layer.o_proj, &layer.gate_up_proj, &layer.down_proj}) {
      for (const ops::WeightMatrix& part : l->parts) check(part, "layer matrices");
    }
  }
  for (const ops::WeightMatrix& part : weights.lm_head.parts) check(part, "output matrix");
  std::unique_ptr<ops::Backend> backend = ops::make_cuda_backend(options.cuda_device);
  // Every weight to the GPU now: an out-of-memory error belongs to loading, not to a request.
  for_each_weight(
      weights, [&](const void* data, std::size_t bytes) { backend->keep_resident(data, bytes); });
  return backend;
#else
  (void)weights;
  throw Error(ErrorCode::unsupported,
              "--device cuda: this r1 was built without the CUDA kernels (build it where the CUDA "
              "toolkit is installed, or with -DR1_CUDA=ON); --device cpu computes on the CPU");
#endif
}

}  // namespace

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
  if (options.quantize) quantize_weights(weights, *options.quantize);
  LoadOptions chosen = options;
  if (options.backend == BackendKind::automatic) {
    chosen.backend = choose_backend(weights, model->backend_choice);
    if (chosen.backend == BackendKind::cuda) chosen.cuda_device = 0;
  }
  std::unique_ptr<ops::Backend> backend = make_backend(chosen, weights);
  if (chosen.backend == BackendKind::cpu && options.pack_weights) pack_weights_for_cpu(weights);
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
