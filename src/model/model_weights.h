// The weights of a Qwen2 / Llama checkpoint bound by name to the places the forward pass reads
// them, with every tensor's name, dtype and shape checked. Matrices stay views into the mapped
// files; small vectors (norm weights, biases) are converted to fp32 once.
#pragma once

#include <string>
#include <vector>

#include "io/checkpoint_files.h"
#include "io/hf_config.h"
#include "ops/weights.h"

namespace r1::model {

struct LayerWeights {
  std::vector<float> input_norm;              // [hidden]
  ops::WeightMatrix q_proj;                   // [n_heads * head_dim, hidden]
  ops::WeightMatrix k_proj;                   // [n_kv_heads * head_dim, hidden]
  ops::WeightMatrix v_proj;                   // [n_kv_heads * head_dim, hidden]
  std::vector<float> q_bias, k_bias, v_bias;  // empty when the model has none
  ops::WeightMatrix o_proj;                   // [hidden, n_heads * head_dim]
  std::vector<float> o_bias;
  std::vector<float> post_attention_norm;  // [hidden]
  ops::WeightMatrix gate_proj;             // [intermediate, hidden]
  ops::WeightMatrix up_proj;               // [intermediate, hidden]
  ops::WeightMatrix down_proj;             // [hidden, intermediate]
  std::vector<float> gate_bias, up_bias, down_bias;
};

struct ModelWeights {
  ops::WeightMatrix embed_tokens;  // [vocab, hidden]
  std::vector<LayerWeights> layers;
  std::vector<float> final_norm;                // [hidden]
  ops::WeightMatrix lm_head;                    // [vocab, hidden]; the embedding when tied
  std::vector<std::string> unexpected_tensors;  // in the files but not used (reported, not fatal)
};

/// Binds and checks every tensor the config implies. Throws Error(invalid_file) naming the tensor
/// with expected vs actual dtype and dims, or listing the missing tensors.
ModelWeights bind_weights(const io::CheckpointFiles& files, const io::ModelConfig& config);

}  // namespace r1::model
