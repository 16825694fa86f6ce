// The tensors a Hugging Face Qwen2 / Llama checkpoint holds, by name and shape ([out, in] like
// nn.Linear.weight), derived from its config. The weight binder checks checkpoints against this
// list; `r1 make-random-model` writes it.
#pragma once

#include <string>
#include <vector>

#include "io/hf_config.h"
#include "io/safetensors_writer.h"

namespace r1::model {

/// What a tensor holds, which decides how a random checkpoint fills it.
enum class TensorRole { matrix, bias, norm };

struct ExpectedTensor {
  io::TensorSpec spec;
  TensorRole role = TensorRole::matrix;
};

/// Every tensor of the checkpoint in Hugging Face's naming, in layer order:
/// model.embed_tokens.weight [vocab, hidden]; per layer model.layers.N.{input_layernorm,
/// self_attn.{q,k,v,o}_proj (+ q/k/v biases for qwen2), post_attention_layernorm,
/// mlp.{gate,up,down}_proj}; model.norm.weight; lm_head.weight unless tied.
std::vector<ExpectedTensor> hf_checkpoint_tensors(const io::ModelConfig& config, io::DType dtype);

}  // namespace r1::model
