// Writing a model as a GGUF file that llama.cpp loads: `r1 quantize`. Metadata as llama.cpp's
// convert_hf_to_gguf.py writes it, tensors under llama.cpp's names in the chosen type (llama's q/k
// rows permuted the way its converter does), norms and biases in f32.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include "io/gguf_writer.h"
#include "model/loaded_model.h"

namespace r1::model {

/// What `--type` names: one type for every matrix, or llama.cpp's q4_k_m / q5_k_m mixes (q6_k for
/// the output matrix and for attn_v / ffn_down of the layers llama.cpp gives more bits).
struct ExportType {
  DType matrices = DType::bf16;
  bool k_quant_mix = false;  // the _m recipe
  std::string name;          // as given: "q4_k_m", "q8_0", "f16", ...
};

/// Parses --type: f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q4_k, q5_k, q6_k, q4_k_m,
/// q5_k_m. Error(invalid_argument) listing them otherwise.
ExportType parse_export_type(const std::string& name);

/// Adds the tokenizer's keys (tokenizer.ggml.*, tokenizer.chat_template) to the writer.
using TokenizerExport = std::function<void(io::GgufWriter&)>;

/// Writes `model` to `out`. Rows whose length is not a multiple of a K-quant block fall back to
/// q8_0 (as llama.cpp falls back). Returns the bytes of tensor data written.
std::uint64_t export_gguf(const LoadedModel& model, const ExportType& type,
                          const TokenizerExport& tokenizer, const std::filesystem::path& out);

}  // namespace r1::model
