// Where a model's tensors come from, under Hugging Face's names: a safetensors checkpoint folder
// as is, or a GGUF file whose llama.cpp names (token_embd.weight, blk.N.attn_q.weight, ...) are
// translated once here. The weight binder checks and binds through this interface only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "io/checkpoint_files.h"
#include "io/gguf.h"

namespace r1::model {

struct SourceTensor {
  std::string file_name;  // the name in the file (shown in errors)
  DType dtype = DType::f32;
  std::vector<std::int64_t> shape;  // [out, in]
  const void* data = nullptr;
  std::size_t nbytes = 0;
};

class WeightSource {
 public:
  /// Tensors of a Hugging Face safetensors checkpoint.
  static WeightSource from_safetensors(const io::CheckpointFiles& files);
  /// Tensors of a GGUF file. Tensors of ggml types r1 does not compute with (q2_k, iq*, ...) throw
  /// Error(unsupported) naming the tensor and the type, and the quantize command to use instead.
  static WeightSource from_gguf(const io::GgufFile& file);

  /// The tensor with this Hugging Face name, or nullptr.
  const SourceTensor* find(const std::string& hf_name) const;
  /// File names of tensors that have no Hugging Face counterpart r1 knows (reported as unused).
  const std::vector<std::string>& untranslated() const { return untranslated_; }
  /// Every Hugging Face name present.
  std::vector<std::string> names() const;
  /// Whether every matrix must share the embedding's dtype (safetensors: yes; GGUF mixes types).
  bool uniform_dtype() const { return uniform_dtype_; }
  /// Whether q/k rows are in llama.cpp's interleaved order (llama GGUF files: the converter
  /// permutes them so that rotating adjacent pairs equals Hugging Face's rotate-half).
  bool interleaved_qk() const { return interleaved_qk_; }
  /// The file or folder, for messages.
  const std::string& origin() const { return origin_; }

 private:
  std::map<std::string, SourceTensor> by_hf_name_;
  std::vector<std::string> untranslated_;
  bool uniform_dtype_ = true;
  bool interleaved_qk_ = false;
  std::string origin_;
};

/// llama.cpp stores Llama 3.1's rope scaling as a tensor of per-frequency divisors
/// (rope_freqs.weight, [head_dim / 2]); it has no Hugging Face name, so it goes by this one.
inline constexpr const char* kRopeFreqFactors = "rope_freqs.weight";

/// The Hugging Face name of a llama.cpp tensor name ("blk.3.ffn_gate.weight" ->
/// "model.layers.3.mlp.gate_proj.weight"), or "" when it has none.
std::string hf_name_of_gguf_tensor(const std::string& gguf_name);

}  // namespace r1::model
