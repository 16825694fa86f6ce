// The GPU backend: the model's ops as CUDA kernels (ops/cuda/kernels.h) on one device, with the
// activations and the KV cache in device memory (cuda_memory.h) and the weights copied to the
// device at load (Backend::keep_resident). Weights of f32, f16 and bf16 so far; quantized
// formats, tensor-core prefill and the CUDA-graph decode step are still to come (README "CUDA").
#pragma once

#include <memory>
#include <optional>

#include "ops/backend.h"

namespace r1::ops {

/// The backend on CUDA device `index` (0 when unset). Throws Error(unsupported) saying why when
/// there is no usable device (cuda_device.h), Error(invalid_argument) for an index not there.
std::unique_ptr<Backend> make_cuda_backend(std::optional<int> index = std::nullopt);

/// Whether the CUDA backend computes with matrices of `type` (f32, f16, bf16, q8_0).
bool cuda_backend_supports(DType type);

}  // namespace r1::ops
