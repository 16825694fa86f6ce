#include "model/pack_weights.h"

#include <algorithm>

#include "core/cpu_info.h"
#include "core/thread_pool.h"
#include "model/resident_pages.h"
#include "quant/packed_q8_0.h"

namespace r1::model {
namespace {

// The packed copy of one q8_0 matrix, groups of 16 rows split over the threads.
AlignedBytes pack_q8_0_matrix(const ops::WeightMatrix& w) {
  const std::int64_t nb = w.cols / quant::kBlock32;
  AlignedBytes packed(quant::packed_q8_0_bytes(w.rows, nb));
  const auto* rows = static_cast<const quant::BlockQ8_0*>(w.data);
  const std::size_t group_bytes = quant::packed_q8_0_group_bytes(nb);
  const std::int64_t n_groups = (w.rows + quant::kPackedQ8Rows - 1) / quant::kPackedQ8Rows;
  static ThreadPool pool(physical_core_count());
  pool.run([&](int thread, int n_threads) {
    const ItemRange mine = split_items(n_groups, 1, thread, n_threads);
    if (mine.begin >= mine.end) return;
    const std::int64_t first_row = mine.begin * quant::kPackedQ8Rows;
    const std::int64_t n_rows = std::min(w.rows, mine.end * quant::kPackedQ8Rows) - first_row;
    quant::pack_q8_0(rows + first_row * nb, n_rows, nb,
                     packed.data() + static_cast<std::size_t>(mine.begin) * group_bytes);
  });
  return packed;
}

}  // namespace

int pack_weights_for_cpu(ModelWeights& weights) {
  if (!quant::packed_q8_0_kernel_available()) return 0;
  int packed = 0;
  auto pack = [&](ops::Linear& linear) {
    for (ops::WeightMatrix& part : linear.parts) {
      if (part.type != DType::q8_0 || part.layout != ops::WeightLayout::rows ||
          part.cols % quant::kBlock32 != 0 || part.rows == 0) {
        continue;
      }
      AlignedBytes& copy = weights.packed.emplace_back(pack_q8_0_matrix(part));
      const std::size_t bytes = ops::row_bytes(part) * static_cast<std::size_t>(part.rows);
      // The source: a matrix quantized at load (free it) or the mapped file (drop its pages),
      // unless the embedding table reads the same bytes (tied embeddings).
      if (part.data != weights.embed_tokens.data) {
        auto owned = std::find_if(weights.owned.begin(), weights.owned.end(),
                                  [&](const auto& v) { return v.data() == part.data; });
        if (owned != weights.owned.end()) {
          std::vector<std::uint8_t>().swap(*owned);
        } else {
          release_mapped_pages(part.data, bytes);
        }
      }
      part = ops::WeightMatrix{DType::q8_0, copy.data(), part.rows, part.cols,
                               ops::WeightLayout::packed_q8_0};
      ++packed;
    }
  };
  for (LayerWeights& layer : weights.layers) {
    pack(layer.qkv_proj);
    pack(layer.o_proj);
    pack(layer.gate_up_proj);
    pack(layer.down_proj);
  }
  pack(weights.lm_head);
  return packed;
}

}  // namespace r1::model
