// Blocked (flash-attention style) causal attention on the CPU: one call computes a tile of query
// rows of one GQA group against a range of cache rows with an online softmax (running max and
// sum, earlier sums rescaled when the max grows), so the scores never leave the cache and every
// key/value row is read once per tile rather than once per query.
//
// A tile's rows are consecutive (query, head) pairs of the flattened index f = query * group + g
// of one call, all reading kv head `kv_head` (query head kv_head * group + g). A long cache range
// may be split over several tiles (split-K, for decode: one query, many rows); each then returns
// its partial (max, sum, unnormalized output) and attention_merge_partials combines them.
//
// One implementation per instruction set (attention_<isa>.cpp, each compiled for its target);
// attention_scalar.cpp is the plain-loop version and the reference for the others' tests.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/dtype.h"
#include "ops/cpu/matmul_kernels.h"

namespace r1::ops::cpu {

struct AttentionTile {
  const float* q = nullptr;  // the call's query 0, rows q_stride floats apart
  std::int64_t q_stride = 0;
  const std::int32_t* positions = nullptr;  // the call's query positions
  // The call's cache in pages of page_rows rows (page p holds rows [p * page_rows, ...)). Each
  // block of kAttentionKvBlock rows a kernel reads lies inside one page: page_rows is a multiple
  // of the block and kv_begin too, or the cache is one page (page_rows >= n_kv).
  const void* const* k_pages = nullptr;
  const void* const* v_pages = nullptr;
  std::int64_t page_rows = 0;
  DType kv_type = DType::f32;
  std::int64_t n_kv = 0;       // cache rows present; query i sees rows < min(positions[i]+1, n_kv)
  std::int64_t kv_stride = 0;  // elements between cache rows (n_kv_heads * head_dim)
  std::int64_t kv_head = 0;
  std::int64_t group = 0;  // query heads per kv head
  std::int64_t head_dim = 0;
  std::int64_t row_begin = 0;  // flattened rows [row_begin, row_begin + n_rows)
  std::int64_t n_rows = 0;     // at most the kernel's tile_rows
  std::int64_t kv_begin = 0;   // cache rows [kv_begin, kv_end) read by this tile
  std::int64_t kv_end = 0;
};

/// Where a tile's result goes: normalized rows of the call's output (out: query 0, rows
/// out_stride floats apart), or, when partial_max is set, the tile's partial: per row its running
/// max, sum of exp(score - max), and sum of exp(score - max) * v ([n_rows][head_dim]).
struct AttentionTileOut {
  float* out = nullptr;
  std::int64_t out_stride = 0;
  float* partial_max = nullptr;
  float* partial_sum = nullptr;
  float* partial_acc = nullptr;
};

using AttentionTileFn = void (*)(const AttentionTile& tile, const AttentionTileOut& out,
                                 float* scratch);

struct AttentionKernel {
  AttentionTileFn run = nullptr;
  std::int64_t tile_rows = 0;  // rows per tile this kernel is built for
};

/// Cache row j of `pages` (keys or values of every kv head), the rows after it in its page
/// kv_stride elements apart.
inline const void* cache_row_start(const AttentionTile& t, const void* const* pages,
                                   std::int64_t j) {
  return static_cast<const std::uint8_t*>(pages[j / t.page_rows]) +
         static_cast<std::size_t>((j % t.page_rows) * t.kv_stride) * dtype_size(t.kv_type);
}

/// The kernel for `isa` (which must be supported).
AttentionKernel attention_kernel(CpuIsa isa);

/// Floats of scratch any kernel needs per thread for head_dim `d`.
std::size_t attention_scratch_floats(std::int64_t head_dim);

/// Combines the partials of `n_parts` tiles over disjoint cache ranges of the same rows (part p's
/// max/sum at p * n_rows, acc at p * n_rows * head_dim) into normalized output rows.
void attention_merge_partials(const AttentionTile& rows, int n_parts, const float* partial_max,
                              const float* partial_sum, const float* partial_acc,
                              const AttentionTileOut& out);

// Per instruction set.
void attention_tile_scalar(const AttentionTile& tile, const AttentionTileOut& out, float* scratch);
AttentionKernel attention_kernel_avx2();
AttentionKernel attention_kernel_avx512();

/// Rows per tile of the scalar kernel and scratch floats it needs.
inline constexpr std::int64_t kScalarAttentionTileRows = 48;
inline constexpr std::int64_t kAttentionKvBlock = 32;  // cache rows scored at a time

}  // namespace r1::ops::cpu
