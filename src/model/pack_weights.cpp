#include "model/pack_weights.h"

#include <algorithm>
#include <cstring>

#include "model/load_pool.h"
#include "model/resident_pages.h"
#include "quant/packed_k.h"
#include "quant/packed_q4.h"
#include "quant/packed_q8_0.h"
#include "quant/quant_type.h"

namespace r1::model {
namespace {

// 16-bit matrices are copied as they are (rows) into the arena: the one-token products read them
// faster from anonymous (huge-page) memory than from the file's page cache (AMD EPYC of
// 2026-12-03, `r1 bench -p 0 -n 32 -t 2` alternately with --file-layout, 12 pairs on two bf16
// files: 10.3-11.9 -> 11.3-14.0 tok/s, +8 % on the means; load +0.2 s). The peak RSS went
// 2.91 -> 3.34 GiB then, the largest matrix held twice while it was copied, until the copies
// went a slice at a time (kSliceBytes below; back to 2.91 GiB on 2026-12-08).
bool copied_as_rows(const ops::WeightMatrix& w) {
  return w.type == DType::bf16 || w.type == DType::f16;
}

// Bytes of w's packed copy, rounded to cache lines.
std::size_t packed_bytes(const ops::WeightMatrix& w) {
  if (copied_as_rows(w))
    return (ops::row_bytes(w) * static_cast<std::size_t>(w.rows) + 63) / 64 * 64;
  const quant::QuantType type = *quant::quant_type_of(w.type);
  const std::int64_t nb = w.cols / quant::block_elements(type);
  const std::size_t bytes = type == quant::QuantType::q8_0 ? quant::packed_q8_0_bytes(w.rows, nb)
                            : quant::has_packed_q4_layout(type)
                                ? quant::packed_q4_bytes(type, w.rows, nb)
                                : quant::packed_k_bytes(type, w.rows, nb);
  return (bytes + 63) / 64 * 64;
}

// Slices of a matrix packed (or copied) at a time; with release_source each slice's pages of the
// mapped file are dropped as soon as it is packed, so that loading holds the file's pages and
// the copy of at most one slice twice, not of the largest matrix (the lm_head: 248 MB in q8_0).
constexpr std::int64_t kSliceGroups = 256;     // 4096 rows
constexpr std::int64_t kSliceBytes = 8 << 20;  // of a 16-bit matrix copied as it is

// The packed copy of one matrix (q8_0, q4_0, q4_1 or a K-quant) into `packed`, groups of 16 rows
// split over the threads, a slice at a time.
void pack_matrix(const ops::WeightMatrix& w, std::uint8_t* packed, bool release_source) {
  const auto* source = static_cast<const std::uint8_t*>(w.data);
  if (copied_as_rows(w)) {
    constexpr std::int64_t kPage = 4096;
    const auto bytes = static_cast<std::int64_t>(ops::row_bytes(w)) * w.rows;
    for (std::int64_t s0 = 0; s0 < bytes; s0 += kSliceBytes) {
      const std::int64_t s1 = std::min(bytes, s0 + kSliceBytes);
      load_pool().run([&](int thread, int n_threads) {
        const ItemRange mine = split_items((s1 - s0 + kPage - 1) / kPage, 1, thread, n_threads);
        const std::int64_t begin = std::min(s1, s0 + mine.begin * kPage);
        const std::int64_t end = std::min(s1, s0 + mine.end * kPage);
        if (begin < end)
          std::memcpy(packed + begin, source + begin, static_cast<std::size_t>(end - begin));
      });
      if (release_source) release_mapped_pages(source + s0, static_cast<std::size_t>(s1 - s0));
    }
    return;
  }
  const quant::QuantType type = *quant::quant_type_of(w.type);
  const std::int64_t nb = w.cols / quant::block_elements(type);
  const bool q8 = type == quant::QuantType::q8_0;
  const bool q4 = quant::has_packed_q4_layout(type);
  const auto row_bytes = static_cast<std::size_t>(quant::row_bytes(type, w.cols));
  const std::size_t group_bytes = q8   ? quant::packed_q8_0_group_bytes(nb)
                                  : q4 ? quant::packed_q4_group_bytes(type, nb)
                                       : quant::packed_k_bytes(type, 16, nb);
  const std::int64_t n_groups = (w.rows + 15) / 16;
  for (std::int64_t g0 = 0; g0 < n_groups; g0 += kSliceGroups) {
    const std::int64_t g1 = std::min(n_groups, g0 + kSliceGroups);
    load_pool().run([&](int thread, int n_threads) {
      const ItemRange mine = split_items(g1 - g0, 1, thread, n_threads);
      if (mine.begin >= mine.end) return;
      const std::int64_t first_row = (g0 + mine.begin) * 16;
      const std::int64_t n_rows = std::min(w.rows, (g0 + mine.end) * 16) - first_row;
      const std::uint8_t* from = source + static_cast<std::size_t>(first_row) * row_bytes;
      std::uint8_t* to = packed + static_cast<std::size_t>(g0 + mine.begin) * group_bytes;
      if (q8) {
        quant::pack_q8_0(reinterpret_cast<const quant::BlockQ8_0*>(from), n_rows, nb, to);
      } else if (q4) {
        quant::pack_q4(type, from, n_rows, nb, to);
      } else {
        quant::pack_k(type, from, n_rows, nb, to);
      }
    });
    if (release_source) {
      const std::int64_t first_row = g0 * 16, end_row = std::min(w.rows, g1 * 16);
      release_mapped_pages(source + static_cast<std::size_t>(first_row) * row_bytes,
                           static_cast<std::size_t>(end_row - first_row) * row_bytes);
    }
  }
}

// Whether w gets a copy: a 16-bit matrix, or one of a type this CPU has a packed kernel for.
bool packable(const ops::WeightMatrix& w) {
  if (w.layout != ops::WeightLayout::rows || w.rows == 0) return false;
  if (copied_as_rows(w)) return true;
  const auto type = quant::quant_type_of(w.type);
  if (!type || w.cols % quant::block_elements(*type) != 0) return false;
  if (*type == quant::QuantType::q8_0) return quant::packed_q8_0_kernel_available();
  if (quant::has_packed_q4_layout(*type)) return quant::packed_q4_kernel_available();
  return quant::packed_k_kernel_available(*type);
}

}  // namespace

int pack_weights_for_cpu(ModelWeights& weights) {
  // A 16-bit lm_head tied to the embedding stays in the file: its copy would hold the table twice.
  const auto wanted = [&](const ops::WeightMatrix& part) {
    return packable(part) && !(copied_as_rows(part) && part.data == weights.embed_tokens.data);
  };
  // One arena for every packed matrix, on huge pages where Linux grants them (AlignedBytes).
  std::size_t total = 0;
  weights.for_each_matrix([&](ops::WeightMatrix& part) {
    if (wanted(part)) total += packed_bytes(part);
  });
  if (total == 0) return 0;
  AlignedBytes& arena = weights.packed.emplace_back(total, true);
  std::size_t used = 0;
  int packed = 0;
  weights.for_each_matrix([&](ops::WeightMatrix& part) {
    if (!wanted(part)) return;
    std::uint8_t* copy = arena.data() + used;
    // The source: a matrix quantized at load (free it once packed) or the mapped file (drop its
    // pages, slice by slice as they are packed), unless the embedding table reads the same
    // bytes (tied embeddings).
    const bool tied = part.data == weights.embed_tokens.data;
    auto owned = std::find_if(weights.owned.begin(), weights.owned.end(),
                              [&](const auto& v) { return v.data() == part.data; });
    const bool mapped = owned == weights.owned.end();
    pack_matrix(part, copy, !tied && mapped);
    used += packed_bytes(part);
    if (!tied && mapped) {
      const std::size_t bytes = ops::row_bytes(part) * static_cast<std::size_t>(part.rows);
      release_mapped_pages(part.data, bytes);  // the pages across slice boundaries too
    } else if (!tied) {
      std::vector<std::uint8_t>().swap(*owned);
    }
    part = ops::WeightMatrix{
        part.type, copy, part.rows, part.cols,
        copied_as_rows(part) ? ops::WeightLayout::rows : ops::WeightLayout::packed};
    ++packed;
  });
  return packed;
}

}  // namespace r1::model
