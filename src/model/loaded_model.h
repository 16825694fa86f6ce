// A model opened for inference: a Hugging Face folder (config.json + safetensors) or a GGUF file,
// its tensors mapped and bound, and the transformer on a backend.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "io/checkpoint_files.h"
#include "io/gguf.h"
#include "io/hf_config.h"
#include "model/transformer.h"
#include "ops/cpu_backend.h"

namespace r1::model {

struct LoadedModel {
  std::filesystem::path path;  // the folder or the .gguf file
  io::ModelConfig config;
  std::optional<io::CheckpointFiles> safetensors;  // owns the mappings of a Hugging Face folder
  std::optional<io::GgufFile> gguf;                // or of a GGUF file
  std::unique_ptr<Transformer> transformer;
  /// With BackendKind::automatic: where it computes and why, in a sentence ("cuda:0 NVIDIA
  /// H200 ..." or "the CPU: no NVIDIA driver ..."); empty otherwise.
  std::string backend_choice;

  /// Bytes of all tensors in the files and their element count (for reports).
  std::size_t file_tensor_bytes() const;
  double parameter_count() const;
};

enum class BackendKind {
  cpu,        // threaded SIMD kernels (the default)
  reference,  // the scalar reference ops on one thread (the test oracle)
  cuda,       // an NVIDIA GPU (ops/cuda/cuda_backend.h; builds with the CUDA kernels only)
  automatic,  // cuda where this build has it, a GPU is usable and it computes with the weights'
              // types; cpu otherwise (LoadedModel::backend_choice says which and why)
};

struct LoadOptions {
  BackendKind backend = BackendKind::cpu;
  ops::CpuBackendOptions cpu;      // threads and instruction set of the cpu backend
  std::optional<int> cuda_device;  // the GPU of the cuda backend (cuda:N; unset: 0)
  /// Quantize the layer matrices and the output matrix to this type while loading (from f32,
  /// f16 or bf16 files); unset: compute with the weights as stored.
  std::optional<DType> quantize;
  /// Repack matrices into the CPU kernels' own layouts where they have one (q8_0, q4_0, q4_1 on
  /// AVX-512 VNNI, q4_k, q5_k and q6_k with VBMI too) and copy bf16 / f16 ones into huge-page
  /// memory (model/pack_weights.h). Off: the kernels read the file's mapping (for comparisons).
  bool pack_weights = true;
};

/// Whether `path` is a GGUF file (by its magic bytes).
bool is_gguf_file(const std::filesystem::path& path);

/// Opens a Hugging Face folder (config.json + model.safetensors or its shards) or a GGUF file.
/// Errors name the file.
std::unique_ptr<LoadedModel> load_model(const std::filesystem::path& path,
                                        const LoadOptions& options = {});

}  // namespace r1::model
