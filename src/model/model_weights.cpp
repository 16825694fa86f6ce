#include "model/model_weights.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <new>
#include <set>
#include <utility>

#include "model/hf_tensor_names.h"
#include "r1/error.h"

namespace r1::model {
namespace {

std::string dims_text(const std::vector<std::int64_t>& shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

std::string shown_name(const std::string& hf_name, const SourceTensor& tensor) {
  return tensor.file_name == hf_name ? hf_name : tensor.file_name + " (" + hf_name + ")";
}

class Binder {
 public:
  Binder(const WeightSource& source, const io::ModelConfig& config) : source_(source) {
    // A safetensors checkpoint has one dtype, that of its embedding; GGUF files mix types.
    const SourceTensor* embed = source.find("model.embed_tokens.weight");
    embed_dtype_ = embed != nullptr ? embed->dtype : DType::bf16;
    for (const auto& tensor : hf_checkpoint_tensors(config, embed_dtype_)) {
      expected_.emplace(tensor.spec.name, tensor.spec);
    }
    std::string missing;
    for (const auto& [name, spec] : expected_) {
      if (source.find(name) == nullptr) missing += "\n  " + name + " " + dims_text(spec.shape);
    }
    if (!missing.empty()) {
      throw Error(ErrorCode::invalid_file,
                  source.origin() + " lacks tensors this " +
                      std::string(io::architecture_name(config.architecture)) +
                      " config needs:" + missing);
    }
  }

  const SourceTensor& checked(const std::string& name) {
    const SourceTensor& tensor = *source_.find(name);
    const io::TensorSpec& spec = expected_.at(name);
    if (tensor.shape != spec.shape) {
      throw Error(ErrorCode::invalid_file,
                  source_.origin() + ": tensor " + shown_name(name, tensor) + " has shape " +
                      dims_text(tensor.shape) + ", expected " + dims_text(spec.shape) +
                      " from the model's configuration");
    }
    used_.insert(name);
    return tensor;
  }

  ops::WeightMatrix matrix(const std::string& name) {
    const SourceTensor& tensor = checked(name);
    if (source_.uniform_dtype() && tensor.dtype != embed_dtype_) {
      throw Error(ErrorCode::invalid_file,
                  source_.origin() + ": tensor " + name + " is " + dtype_cli_name(tensor.dtype) +
                      " " + dims_text(tensor.shape) + ", expected " + dtype_cli_name(embed_dtype_) +
                      " like model.embed_tokens.weight");
    }
    const std::int64_t cols = tensor.shape[1];
    if (cols % dtype_block_elements(tensor.dtype) != 0) {
      throw Error(ErrorCode::invalid_file,
                  source_.origin() + ": tensor " + shown_name(name, tensor) + " has rows of " +
                      std::to_string(cols) + " elements, not a multiple of the " +
                      dtype_cli_name(tensor.dtype) + " block");
    }
    return ops::WeightMatrix{tensor.dtype, tensor.data, tensor.shape[0], cols};
  }

  std::vector<float> vector(const std::string& name) {
    const SourceTensor& tensor = checked(name);
    const std::int64_t n = tensor.shape[0];
    if (n % dtype_block_elements(tensor.dtype) != 0) {
      throw Error(ErrorCode::invalid_file,
                  source_.origin() + ": tensor " + shown_name(name, tensor) + " cannot be decoded");
    }
    std::vector<float> values(static_cast<std::size_t>(n));
    ops::dequantize_row(ops::WeightMatrix{tensor.dtype, tensor.data, 1, n}, 0, values.data());
    return values;
  }

  std::vector<float> optional_vector(const std::string& name) {
    return expected_.count(name) ? vector(name) : std::vector<float>{};
  }

  std::vector<std::string> unused() const {
    std::vector<std::string> names = source_.untranslated();
    for (const std::string& name : source_.names()) {
      if (!used_.count(name) && name != kRopeFreqFactors)
        names.push_back(source_.find(name)->file_name);
    }
    return names;
  }

 private:
  const WeightSource& source_;
  DType embed_dtype_;
  std::map<std::string, io::TensorSpec> expected_;
  std::set<std::string> used_;
};

}  // namespace

ModelWeights bind_weights(const WeightSource& source, const io::ModelConfig& config) {
  Binder binder(source, config);
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
  weights.rope_layout =
      source.interleaved_qk() ? ops::RopeLayout::interleaved : ops::RopeLayout::rotate_half;
  if (const SourceTensor* factors = source.find(kRopeFreqFactors)) {
    if (factors->shape != std::vector<std::int64_t>{config.head_dim / 2} ||
        factors->dtype != DType::f32) {
      throw Error(ErrorCode::invalid_file, source.origin() + ": " + kRopeFreqFactors +
                                               " must be f32 [" +
                                               std::to_string(config.head_dim / 2) + "]");
    }
    const auto* values = static_cast<const float*>(factors->data);
    weights.rope_freq_factors.assign(values, values + config.head_dim / 2);
  }
  weights.unexpected_tensors = binder.unused();
  return weights;
}

AlignedBytes::AlignedBytes(std::size_t size, bool huge_pages) : size_(size) {
  constexpr std::size_t kHugePage = std::size_t{2} << 20;
  const std::size_t alignment = huge_pages ? kHugePage : 64;
  const std::size_t rounded = (size + alignment - 1) / alignment * alignment;
  data_.reset(static_cast<std::uint8_t*>(std::aligned_alloc(alignment, rounded)));
  if (size > 0 && data_ == nullptr) throw std::bad_alloc();
  if (huge_pages && rounded > 0) ::madvise(data_.get(), rounded, MADV_HUGEPAGE);
}

void AlignedBytes::Free::operator()(std::uint8_t* p) const { std::free(p); }

std::size_t ModelWeights::bytes_per_token() const {
  std::size_t bytes = 0;
  for_each_matrix([&](const ops::WeightMatrix& w) {
    bytes += ops::row_bytes(w) * static_cast<std::size_t>(w.rows);
  });
  return bytes;
}

std::string ModelWeights::matrix_types() const {
  std::vector<std::pair<DType, std::size_t>> by_type;
  const auto add = [&](const ops::WeightMatrix& w) {
    const std::size_t bytes = ops::row_bytes(w) * static_cast<std::size_t>(w.rows);
    const auto it = std::find_if(by_type.begin(), by_type.end(),
                                 [&](const auto& entry) { return entry.first == w.type; });
    if (it == by_type.end()) {
      by_type.emplace_back(w.type, bytes);
    } else {
      it->second += bytes;
    }
  };
  for_each_matrix(add);
  std::stable_sort(by_type.begin(), by_type.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string names;
  for (const auto& [type, bytes] : by_type) {
    if (!names.empty()) names += '+';
    names += dtype_cli_name(type);
  }
  return names;
}

}  // namespace r1::model
