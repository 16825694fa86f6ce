#include "model/quantize_weights.h"

#include <string>
#include <vector>

#include "model/load_pool.h"
#include "model/resident_pages.h"
#include "quant/quantize.h"
#include "r1/error.h"

namespace r1::model {

void quantize_matrix(const ops::WeightMatrix& w, DType target, std::uint8_t* out) {
  const quant::QuantType type = *quant::quant_type_of(target);
  const auto row_bytes = static_cast<std::size_t>(dtype_row_bytes(target, w.cols));
  load_pool().run([&](int thread, int n_threads) {
    std::vector<float> row(static_cast<std::size_t>(w.cols));
    const ItemRange mine = split_items(w.rows, 1, thread, n_threads);
    for (std::int64_t r = mine.begin; r < mine.end; ++r) {
      ops::dequantize_row(w, r, row.data());
      quant::quantize_row(type, row.data(), out + row_bytes * static_cast<std::size_t>(r), w.cols);
    }
  });
}

void quantize_weights(ModelWeights& weights, DType target) {
  if (!is_quantized(target)) {
    throw Error(ErrorCode::invalid_argument,
                std::string("--quant takes a quantized type (q8_0, q4_0, q4_1, q5_0, q5_1, q4_k, "
                            "q5_k, q6_k), not ") +
                    dtype_cli_name(target));
  }
  auto convert = [&](ops::Linear& linear, const std::string& what) {
    if (linear.type == target) return;
    if (linear.cols % dtype_block_elements(target) != 0) {
      throw Error(ErrorCode::invalid_argument,
                  what + " has rows of " + std::to_string(linear.cols) +
                      " elements, not a multiple of the " +
                      std::to_string(dtype_block_elements(target)) + "-element " +
                      dtype_cli_name(target) + " block; use q8_0 or q4_0 (32-element blocks)");
    }
    for (ops::WeightMatrix& part : linear.parts) {
      std::vector<std::uint8_t>& storage = weights.owned.emplace_back(
          static_cast<std::size_t>(part.rows * dtype_row_bytes(target, part.cols)));
      quantize_matrix(part, target, storage.data());
      const bool shared_with_embedding = part.data == weights.embed_tokens.data;
      if (!shared_with_embedding) release_mapped_pages(part.data, ops::row_bytes(part) * part.rows);
      part = ops::WeightMatrix{target, storage.data(), part.rows, part.cols};
    }
    linear.type = target;
  };
  for (std::size_t i = 0; i < weights.layers.size(); ++i) {
    LayerWeights& layer = weights.layers[i];
    const std::string name = "layer " + std::to_string(i);
    convert(layer.qkv_proj, name + " q/k/v");
    convert(layer.o_proj, name + " o_proj");
    convert(layer.gate_up_proj, name + " gate/up");
    convert(layer.down_proj, name + " down_proj");
  }
  convert(weights.lm_head, "the output matrix");
}

}  // namespace r1::model
