#include "model/gguf_export.h"

#include <cstring>
#include <memory>
#include <vector>

#include "core/half.h"
#include "model/hf_tensor_names.h"
#include "model/quantize_weights.h"
#include "model/transformer.h"
#include "ops/rope.h"
#include "r1/error.h"

namespace r1::model {
namespace {

io::GgmlType ggml_type_of(DType dtype) {
  switch (dtype) {
    case DType::f32:
      return io::GgmlType::f32;
    case DType::f16:
      return io::GgmlType::f16;
    case DType::bf16:
      return io::GgmlType::bf16;
    case DType::q8_0:
      return io::GgmlType::q8_0;
    case DType::q4_0:
      return io::GgmlType::q4_0;
    case DType::q4_1:
      return io::GgmlType::q4_1;
    case DType::q5_0:
      return io::GgmlType::q5_0;
    case DType::q5_1:
      return io::GgmlType::q5_1;
    case DType::q4_k:
      return io::GgmlType::q4_k;
    case DType::q5_k:
      return io::GgmlType::q5_k;
    case DType::q6_k:
      return io::GgmlType::q6_k;
  }
  return io::GgmlType::f32;
}

// llama.cpp's llama_ftype value for general.file_type.
std::uint32_t file_type_of(const ExportType& type) {
  if (type.k_quant_mix) return type.matrices == DType::q4_k ? 15 : 17;  // Q4_K_M, Q5_K_M
  switch (type.matrices) {
    case DType::f32:
      return 0;
    case DType::f16:
      return 1;
    case DType::q4_0:
      return 2;
    case DType::q4_1:
      return 3;
    case DType::q8_0:
      return 7;
    case DType::q5_0:
      return 8;
    case DType::q5_1:
      return 9;
    case DType::q4_k:
      return 14;  // Q4_K_S: every matrix q4_k
    case DType::q5_k:
      return 16;  // Q5_K_S
    case DType::q6_k:
      return 18;
    case DType::bf16:
      return 32;
  }
  return 0;
}

// The llama.cpp name of a Hugging Face tensor name (inverse of hf_name_of_gguf_tensor).
std::string gguf_name_of(const std::string& hf, std::int64_t n_layers) {
  for (std::int64_t layer = 0; layer < n_layers; ++layer) {
    const std::string prefix = "model.layers." + std::to_string(layer) + ".";
    if (hf.rfind(prefix, 0) != 0) continue;
    static const std::pair<const char*, const char*> names[] = {
        {"input_layernorm.weight", "attn_norm.weight"},
        {"self_attn.q_proj.weight", "attn_q.weight"},
        {"self_attn.q_proj.bias", "attn_q.bias"},
        {"self_attn.k_proj.weight", "attn_k.weight"},
        {"self_attn.k_proj.bias", "attn_k.bias"},
        {"self_attn.v_proj.weight", "attn_v.weight"},
        {"self_attn.v_proj.bias", "attn_v.bias"},
        {"self_attn.o_proj.weight", "attn_output.weight"},
        {"self_attn.o_proj.bias", "attn_output.bias"},
        {"post_attention_layernorm.weight", "ffn_norm.weight"},
        {"mlp.gate_proj.weight", "ffn_gate.weight"},
        {"mlp.gate_proj.bias", "ffn_gate.bias"},
        {"mlp.up_proj.weight", "ffn_up.weight"},
        {"mlp.up_proj.bias", "ffn_up.bias"},
        {"mlp.down_proj.weight", "ffn_down.weight"},
        {"mlp.down_proj.bias", "ffn_down.bias"},
    };
    const std::string rest = hf.substr(prefix.size());
    for (const auto& [from, to] : names) {
      if (rest == from) return "blk." + std::to_string(layer) + "." + to;
    }
  }
  if (hf == "model.embed_tokens.weight") return "token_embd.weight";
  if (hf == "model.norm.weight") return "output_norm.weight";
  if (hf == "lm_head.weight") return "output.weight";
  throw Error(ErrorCode::invalid_argument, "no GGUF name for tensor " + hf);
}

// llama.cpp's use_more_bits: the first and last eighth of the layers and every third between.
bool more_bits(std::int64_t layer, std::int64_t n_layers) {
  return layer < n_layers / 8 || layer >= 7 * n_layers / 8 || (layer - n_layers / 8) % 3 == 2;
}

std::int64_t layer_of(const std::string& hf) {
  if (hf.rfind("model.layers.", 0) != 0) return -1;
  return std::stoll(hf.substr(13));
}

// llama.cpp's llama_tensor_get_type: the output matrix, or the embedding of a model whose output
// reuses it (tied), gets q6_k in every quantized format but q8_0; the _m mixes also give q6_k
// to attn_v / ffn_down of the layers of more_bits.
DType type_for(const std::string& hf, std::int64_t cols, const ExportType& type,
               std::int64_t n_layers, bool tied_embeddings) {
  DType chosen = type.matrices;
  const bool output =
      hf == "lm_head.weight" || (tied_embeddings && hf == "model.embed_tokens.weight");
  if (output && is_quantized(chosen) && chosen != DType::q8_0) {
    chosen = DType::q6_k;
  } else if (type.k_quant_mix) {
    const std::int64_t layer = layer_of(hf);
    const bool v_or_down =
        hf.ends_with("self_attn.v_proj.weight") || hf.ends_with("mlp.down_proj.weight");
    if (v_or_down && more_bits(layer, n_layers)) chosen = DType::q6_k;
  }
  // llama.cpp's fallbacks for rows that are not a whole number of 256-element super-blocks.
  if (cols % dtype_block_elements(chosen) != 0) {
    switch (chosen) {
      case DType::q4_k:
        chosen = DType::q5_0;
        break;
      case DType::q5_k:
        chosen = DType::q5_1;
        break;
      default:
        chosen = DType::q8_0;
        break;
    }
  }
  if (cols % dtype_block_elements(chosen) != 0) chosen = DType::f16;
  return chosen;
}

// Rows of one head in llama.cpp's llama order: GGUF row 2i + j of a head = HF row j * d/2 + i.
std::int64_t llama_source_row(std::int64_t row, std::int64_t head_dim) {
  const std::int64_t head = row / head_dim, within = row % head_dim;
  return head * head_dim + (within % 2) * (head_dim / 2) + within / 2;
}

}  // namespace

ExportType parse_export_type(const std::string& name) {
  ExportType type;
  type.name = name;
  if (name == "q4_k_m" || name == "q5_k_m") {
    type.matrices = name == "q4_k_m" ? DType::q4_k : DType::q5_k;
    type.k_quant_mix = true;
    return type;
  }
  for (DType dtype : all_dtypes) {
    if (name == dtype_cli_name(dtype)) {
      type.matrices = dtype;
      return type;
    }
  }
  throw Error(ErrorCode::invalid_argument,
              "--type '" + name +
                  "' is not one of f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q4_k, q5_k, "
                  "q6_k, q4_k_m, q5_k_m");
}

std::uint64_t export_gguf(const LoadedModel& model, const ExportType& type,
                          const TokenizerExport& tokenizer, const std::filesystem::path& out) {
  const io::ModelConfig& c = model.config;
  const WeightSource source = model.gguf ? WeightSource::from_gguf(*model.gguf)
                                         : WeightSource::from_safetensors(*model.safetensors);
  const bool llama = c.architecture == io::ModelArchitecture::llama;
  const bool permute_qk = llama && !source.interleaved_qk();
  const std::string arch = llama ? "llama" : "qwen2";

  io::GgufWriter writer;
  writer.add_string("general.architecture", arch);
  writer.add_string("general.name", model.path.filename().string());
  writer.add_uint32("general.file_type", file_type_of(type));
  if (is_quantized(type.matrices)) writer.add_uint32("general.quantization_version", 2);
  auto u32 = [&](const std::string& key, std::int64_t value) {
    writer.add_uint32(arch + "." + key, static_cast<std::uint32_t>(value));
  };
  u32("context_length", c.max_position_embeddings);
  u32("embedding_length", c.hidden_size);
  u32("block_count", c.num_hidden_layers);
  u32("feed_forward_length", c.intermediate_size);
  u32("attention.head_count", c.num_attention_heads);
  u32("attention.head_count_kv", c.num_key_value_heads);
  u32("attention.key_length", c.head_dim);
  u32("attention.value_length", c.head_dim);
  u32("rope.dimension_count", c.head_dim);
  u32("vocab_size", c.vocab_size);
  writer.add_float32(arch + ".rope.freq_base", static_cast<float>(c.rope_theta));
  writer.add_float32(arch + ".attention.layer_norm_rms_epsilon",
                     static_cast<float>(c.rms_norm_eps));
  if (c.rope_scaling.type == io::RopeScalingType::linear) {
    writer.add_string(arch + ".rope.scaling.type", "linear");
    writer.add_float32(arch + ".rope.scaling.factor", static_cast<float>(c.rope_scaling.factor));
  }
  if (tokenizer) tokenizer(writer);
  if (c.rope_scaling.type == io::RopeScalingType::llama3) {
    // As convert_hf_to_gguf.py: Llama 3.1's scaling as per-frequency divisors of inv_freq.
    auto factors = std::make_shared<std::vector<float>>();
    const std::vector<float> plain = ops::rope_inv_freq(c.head_dim, c.rope_theta, {});
    const std::vector<float> scaled =
        ops::rope_inv_freq(c.head_dim, c.rope_theta, rope_scaling_of(c));
    for (std::size_t i = 0; i < plain.size(); ++i) factors->push_back(plain[i] / scaled[i]);
    writer.add_tensor(kRopeFreqFactors, io::GgmlType::f32,
                      {static_cast<std::int64_t>(factors->size())},
                      [factors](const io::GgufByteSink& sink) {
                        sink(std::as_bytes(std::span<const float>(*factors)));
                      });
  }

  std::uint64_t total = 0;
  for (const ExpectedTensor& expected : hf_checkpoint_tensors(c, DType::f32)) {
    const std::string& hf = expected.spec.name;
    const SourceTensor& tensor = *source.find(hf);
    const ops::WeightMatrix w{tensor.dtype, tensor.data,
                              tensor.shape.size() == 2 ? tensor.shape[0] : 1, tensor.shape.back()};
    const bool vector = tensor.shape.size() == 1;
    const DType target =
        vector ? DType::f32
               : type_for(hf, w.cols, type, c.num_hidden_layers, c.tie_word_embeddings);
    const bool permute =
        permute_qk && (hf.ends_with("q_proj.weight") || hf.ends_with("k_proj.weight") ||
                       hf.ends_with("q_proj.bias") || hf.ends_with("k_proj.bias"));
    const std::string name = gguf_name_of(hf, c.num_hidden_layers);
    const std::int64_t head_dim = c.head_dim;
    writer.add_tensor(name, ggml_type_of(target), tensor.shape, [=](const io::GgufByteSink& sink) {
      // One source row -> its target bytes; a vector is one row of w.cols values whose elements
      // (biases of q/k) are permuted like rows.
      const auto row_bytes = static_cast<std::size_t>(dtype_row_bytes(target, w.cols));
      std::vector<float> values(static_cast<std::size_t>(w.cols));
      std::vector<std::uint8_t> bytes(row_bytes);
      if (vector) {
        ops::dequantize_row(w, 0, values.data());
        std::vector<float> out = values;
        if (permute) {
          for (std::int64_t i = 0; i < w.cols; ++i)
            out[static_cast<std::size_t>(i)] =
                values[static_cast<std::size_t>(llama_source_row(i, head_dim))];
        }
        sink(std::as_bytes(std::span<const float>(out)));
        return;
      }
      if (is_quantized(target) && !permute) {
        std::vector<std::uint8_t> all(row_bytes * static_cast<std::size_t>(w.rows));
        quantize_matrix(w, target, all.data());
        sink(std::as_bytes(std::span<const std::uint8_t>(all)));
        return;
      }
      for (std::int64_t r = 0; r < w.rows; ++r) {
        ops::dequantize_row(w, permute ? llama_source_row(r, head_dim) : r, values.data());
        if (is_quantized(target)) {
          quantize_matrix(ops::WeightMatrix{DType::f32, values.data(), 1, w.cols}, target,
                          bytes.data());
        } else {
          for (std::int64_t i = 0; i < w.cols; ++i) {
            const float v = values[static_cast<std::size_t>(i)];
            if (target == DType::f32) {
              std::memcpy(bytes.data() + 4 * i, &v, 4);
            } else {
              const std::uint16_t bits = target == DType::f16 ? f32_to_f16(v) : f32_to_bf16(v);
              std::memcpy(bytes.data() + 2 * i, &bits, 2);
            }
          }
        }
        sink(std::as_bytes(std::span<const std::uint8_t>(bytes)));
      }
    });
    total += io::GgufWriter::tensor_bytes(ggml_type_of(target), tensor.shape);
  }
  writer.write(out);
  return total;
}

}  // namespace r1::model
