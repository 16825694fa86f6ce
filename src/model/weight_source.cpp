#include "model/weight_source.h"

#include <optional>

#include "r1/error.h"

namespace r1::model {
namespace {

std::optional<DType> dtype_of_ggml(io::GgmlType type) {
  switch (type) {
    case io::GgmlType::f32:
      return DType::f32;
    case io::GgmlType::f16:
      return DType::f16;
    case io::GgmlType::bf16:
      return DType::bf16;
    case io::GgmlType::q8_0:
      return DType::q8_0;
    case io::GgmlType::q4_0:
      return DType::q4_0;
    case io::GgmlType::q4_1:
      return DType::q4_1;
    case io::GgmlType::q5_0:
      return DType::q5_0;
    case io::GgmlType::q5_1:
      return DType::q5_1;
    case io::GgmlType::q4_k:
      return DType::q4_k;
    case io::GgmlType::q5_k:
      return DType::q5_k;
    case io::GgmlType::q6_k:
      return DType::q6_k;
    default:
      return std::nullopt;
  }
}

// llama.cpp's per-layer tensor names and their Hugging Face counterparts.
struct LayerName {
  const char* gguf;
  const char* hf;
};
constexpr LayerName kLayerNames[] = {
    {"attn_norm.weight", "input_layernorm.weight"},
    {"attn_q.weight", "self_attn.q_proj.weight"},
    {"attn_q.bias", "self_attn.q_proj.bias"},
    {"attn_k.weight", "self_attn.k_proj.weight"},
    {"attn_k.bias", "self_attn.k_proj.bias"},
    {"attn_v.weight", "self_attn.v_proj.weight"},
    {"attn_v.bias", "self_attn.v_proj.bias"},
    {"attn_output.weight", "self_attn.o_proj.weight"},
    {"attn_output.bias", "self_attn.o_proj.bias"},
    {"ffn_norm.weight", "post_attention_layernorm.weight"},
    {"ffn_gate.weight", "mlp.gate_proj.weight"},
    {"ffn_gate.bias", "mlp.gate_proj.bias"},
    {"ffn_up.weight", "mlp.up_proj.weight"},
    {"ffn_up.bias", "mlp.up_proj.bias"},
    {"ffn_down.weight", "mlp.down_proj.weight"},
    {"ffn_down.bias", "mlp.down_proj.bias"},
};

}  // namespace

std::string hf_name_of_gguf_tensor(const std::string& gguf_name) {
  if (gguf_name == "token_embd.weight") return "model.embed_tokens.weight";
  if (gguf_name == "output_norm.weight") return "model.norm.weight";
  if (gguf_name == "output.weight") return "lm_head.weight";
  if (gguf_name == "rope_freqs.weight") return kRopeFreqFactors;
  if (gguf_name.rfind("blk.", 0) != 0) return "";
  const std::size_t dot = gguf_name.find('.', 4);
  if (dot == std::string::npos || dot == 4) return "";
  const std::string layer = gguf_name.substr(4, dot - 4);
  if (layer.find_first_not_of("0123456789") != std::string::npos) return "";
  const std::string rest = gguf_name.substr(dot + 1);
  for (const LayerName& name : kLayerNames) {
    if (rest == name.gguf) return "model.layers." + layer + "." + name.hf;
  }
  return "";
}

WeightSource WeightSource::from_safetensors(const io::CheckpointFiles& files) {
  WeightSource source;
  source.origin_ = "the safetensors checkpoint";
  for (const io::TensorView* view : files.tensors()) {
    source.by_hf_name_[view->name] =
        SourceTensor{view->name, view->dtype, view->shape, view->data, view->nbytes};
  }
  return source;
}

WeightSource WeightSource::from_gguf(const io::GgufFile& file) {
  WeightSource source;
  source.origin_ = file.origin();
  source.uniform_dtype_ = false;
  source.interleaved_qk_ = file.architecture() == "llama";
  for (const io::GgufTensorView& view : file.tensors()) {
    const std::string hf = hf_name_of_gguf_tensor(view.name);
    if (hf.empty()) {
      source.untranslated_.push_back(view.name);
      continue;
    }
    const std::optional<DType> dtype = dtype_of_ggml(view.type);
    if (!dtype) {
      throw Error(ErrorCode::unsupported,
                  file.origin() + ": tensor '" + view.name + "' is " +
                      io::ggml_type_name(view.type) +
                      ", which r1 does not compute with (supported: F32, F16, BF16, Q8_0, Q4_0, "
                      "Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K); use a file quantized to one of those, "
                      "e.g. 'r1 quantize --model IN --out OUT.gguf --type q4_k'");
    }
    source.by_hf_name_[hf] = SourceTensor{view.name, *dtype, view.shape, view.data, view.nbytes};
  }
  return source;
}

const SourceTensor* WeightSource::find(const std::string& hf_name) const {
  const auto it = by_hf_name_.find(hf_name);
  return it == by_hf_name_.end() ? nullptr : &it->second;
}

std::vector<std::string> WeightSource::names() const {
  std::vector<std::string> names;
  for (const auto& [name, tensor] : by_hf_name_) names.push_back(name);
  return names;
}

}  // namespace r1::model
