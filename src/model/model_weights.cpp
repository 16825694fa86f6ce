#include "model/model_weights.h"

#include <cstring>
#include <map>
#include <set>

#include "core/half.h"
#include "model/hf_tensor_names.h"
#include "r1/error.h"

namespace r1::model {
namespace {

std::string dims_text(const std::vector<std::int64_t>& shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

class Binder {
 public:
  Binder(const io::CheckpointFiles& files, const io::ModelConfig& config) : files_(files) {
    // The checkpoint's dtype is that of its embedding; every tensor is checked against the table.
    const io::TensorView* embed = files.find("model.embed_tokens.weight");
    const io::DType dtype = embed != nullptr ? embed->dtype : io::DType::bf16;
    for (const auto& tensor : hf_checkpoint_tensors(config, dtype)) {
      expected_.emplace(tensor.spec.name, tensor.spec);
    }
    std::string missing;
    for (const auto& [name, spec] : expected_) {
      if (files.find(name) == nullptr) missing += "\n  " + name + " " + dims_text(spec.shape);
    }
    if (!missing.empty()) {
      throw Error(ErrorCode::invalid_file,
                  "the checkpoint lacks tensors this " +
                      std::string(io::architecture_name(config.architecture)) +
                      " config needs:" + missing);
    }
  }

  const io::TensorView& checked(const std::string& name) {
    const io::TensorView& view = files_.at(name);
    const io::TensorSpec& spec = expected_.at(name);
    if (view.shape != spec.shape) {
      throw Error(ErrorCode::invalid_file, "tensor " + name + " has shape " +
                                               dims_text(view.shape) + ", expected " +
                                               dims_text(spec.shape) + " from config.json");
    }
    used_.insert(name);
    return view;
  }

  ops::WeightMatrix matrix(const std::string& name) {
    const io::TensorView& view = checked(name);
    const io::TensorSpec& spec = expected_.at(name);
    if (view.dtype != spec.dtype) {
      throw Error(ErrorCode::invalid_file,
                  "tensor " + name + " is " + io::dtype_name(view.dtype) + " " +
                      dims_text(view.shape) + ", expected " + io::dtype_name(spec.dtype) + " " +
                      dims_text(spec.shape) + " like model.embed_tokens.weight");
    }
    return ops::WeightMatrix{view.dtype, view.data, view.shape[0], view.shape[1]};
  }

  std::vector<float> vector(const std::string& name) {
    const io::TensorView& view = checked(name);
    std::vector<float> values(view.element_count());
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (view.dtype == io::DType::f32) {
        std::memcpy(&values[i], view.data + 4 * i, 4);
      } else {
        std::uint16_t bits;
        std::memcpy(&bits, view.data + 2 * i, 2);
        values[i] = view.dtype == io::DType::bf16 ? bf16_to_f32(bits) : f16_to_f32(bits);
      }
    }
    return values;
  }

  std::vector<float> optional_vector(const std::string& name) {
    return expected_.count(name) ? vector(name) : std::vector<float>{};
  }

  std::vector<std::string> unused() const {
    std::vector<std::string> names;
    for (const io::TensorView* view : files_.tensors()) {
      if (!used_.count(view->name)) names.push_back(view->name);
    }
    return names;
  }

 private:
  const io::CheckpointFiles& files_;
  std::map<std::string, io::TensorSpec> expected_;
  std::set<std::string> used_;
};

}  // namespace

ModelWeights bind_weights(const io::CheckpointFiles& files, const io::ModelConfig& config) {
  Binder binder(files, config);
  ModelWeights weights;
  weights.embed_tokens = binder.matrix("model.embed_tokens.weight");
  for (std::int64_t i = 0; i < config.num_hidden_layers; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    LayerWeights layer;
    layer.input_norm = binder.vector(p + "input_layernorm.weight");
    // q/k/v and gate/up are fused: one product over the same input each (modeling_qwen2 computes
    // them separately; the rows are simply stacked).
    layer.qkv_proj = ops::Linear::stacked(
        {binder.matrix(p + "self_attn.q_proj.weight"), binder.matrix(p + "self_attn.k_proj.weight"),
         binder.matrix(p + "self_attn.v_proj.weight")},
        {binder.optional_vector(p + "self_attn.q_proj.bias"),
         binder.optional_vector(p + "self_attn.k_proj.bias"),
         binder.optional_vector(p + "self_attn.v_proj.bias")});
    layer.o_proj = ops::Linear::single(binder.matrix(p + "self_attn.o_proj.weight"),
                                       binder.optional_vector(p + "self_attn.o_proj.bias"));
    layer.post_attention_norm = binder.vector(p + "post_attention_layernorm.weight");
    layer.gate_up_proj = ops::Linear::stacked(
        {binder.matrix(p + "mlp.gate_proj.weight"), binder.matrix(p + "mlp.up_proj.weight")},
        {binder.optional_vector(p + "mlp.gate_proj.bias"),
         binder.optional_vector(p + "mlp.up_proj.bias")});
    layer.down_proj = ops::Linear::single(binder.matrix(p + "mlp.down_proj.weight"),
                                          binder.optional_vector(p + "mlp.down_proj.bias"));
    weights.layers.push_back(std::move(layer));
  }
  weights.final_norm = binder.vector("model.norm.weight");
  weights.lm_head = ops::Linear::single(
      config.tie_word_embeddings ? weights.embed_tokens : binder.matrix("lm_head.weight"));
  weights.unexpected_tensors = binder.unused();
  return weights;
}

std::size_t ModelWeights::bytes_per_token() const {
  std::size_t bytes = lm_head.weight_bytes();
  for (const LayerWeights& layer : layers) {
    bytes += layer.qkv_proj.weight_bytes() + layer.o_proj.weight_bytes() +
             layer.gate_up_proj.weight_bytes() + layer.down_proj.weight_bytes();
  }
  return bytes;
}

}  // namespace r1::model
