#include "ops/cpu_backend.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <vector>

#include "core/cpu_info.h"
#include "core/thread_pool.h"
#include "ops/cpu/amx_gemm.h"
#include "ops/cpu/attention_kernels.h"
#include "ops/cpu/bf16_dot_rate.h"
#include "ops/cpu/dnnl_matmul.h"
#include "ops/cpu/fma_gemm.h"
#include "ops/cpu/swiglu_kernels.h"
#include "ops/cpu/vector_ops.h"
#include "quant/gemm.h"
#include "quant/packed_k.h"
#include "quant/packed_q4.h"
#include "quant/packed_q8_0.h"
#include "quant/quantize.h"
#include "r1/error.h"

namespace r1::ops {
namespace {

// Output rows handed out in multiples of this so that kernel tiles are never split.
constexpr std::int64_t kRowGrain = 16;
// The AMX kernel's register block: 32 weight rows.
constexpr std::int64_t kAmxRowGrain = 32;

class CpuBackend final : public Backend {
 public:
  CpuBackend(int n_threads, cpu::CpuIsa isa, bool matrix_units)
      : pool_(n_threads),
        isa_(isa),
        amx_(matrix_units && cpu::amx_available()),
        // oneDNN for bf16 weights on AMX where the build has it: it measured ~4% faster than
        // our AMX kernel for bf16 (pp512 103 vs 99 tok/s, 2 threads); every other weight type
        // goes to our AMX kernel. Without AMX, oneDNN's bf16 products rest on VDPBF16PS, which
        // on some cores is slower than our FMA kernel (60-65 % of its speed on the AMX-less Xeon
        // of 2026-12-02, bench/bench_prefill_gemm.cpp): oneDNN only where VDPBF16PS measures at
        // least 1.5x the FMA flops (cpu/bf16_dot_rate.h), else the FMA kernel.
        fma_gemm_(cpu::fma_gemm_available(isa)),
        dnnl_(matrix_units && cpu::DnnlMatmul::available() &&
                      (amx_ || (fma_gemm_ ? cpu::bf16_dot_outruns_fma() : true))
                  ? static_cast<std::size_t>(n_threads)
                  : 0),
        amx_scratch_(static_cast<std::size_t>(n_threads)),
        kernels_{cpu::dot_rows_kernel(isa, DType::f32), cpu::dot_rows_kernel(isa, DType::f16),
                 cpu::dot_rows_kernel(isa, DType::bf16)},
        scratch_(static_cast<std::size_t>(pool_.size())),
        attention_(cpu::attention_kernel(isa)),
        swiglu_row_(cpu::swiglu_kernel(isa)) {}

  std::string describe() const override {
    return std::string("cpu ") + cpu::isa_name(isa_) + (amx_ ? "+amx" : "") +
           (!dnnl_.empty() ? "+onednn" : "") + ", " +
           std::to_string(pool_.size()) + (pool_.size() == 1 ? " thread" : " threads");
  }

  void linear(const float* x, std::int64_t n_tokens, const Linear& w, float* y) override {
    if (!w.mixed_types()) {
      linear_into(x, n_tokens, w, y, w.rows);
      return;
    }
    // Parts of different types (llama.cpp's q4_k_m gives attn_v more bits than attn_q): one
    // product per part into its columns of y, then the biases.
    std::int64_t part_first = 0;
    for (const WeightMatrix& part : w.parts) {
      linear_into(x, n_tokens, Linear::single(part), y + part_first, w.rows);
      part_first += part.rows;
    }
    if (!w.bias.empty()) {
      pool_.run([&](int thread, int n_threads) {
        add_bias(w, n_tokens, split_items(w.rows, kRowGrain, thread, n_threads), y, w.rows);
      });
    }
  }

  // y [n_tokens rows, y_stride apart] = x W^T + b for parts of one type.
  void linear_into(const float* x, std::int64_t n_tokens, const Linear& w, float* y,
                   std::int64_t y_stride) {
    const bool to_dnnl = !dnnl_.empty() && w.type == DType::bf16;
    const std::int64_t amx_min_tokens =
        is_quantized(w.type) ? kQuantizedMatrixUnitMinTokens : kMatrixUnitMinTokens;
    if (amx_ && !to_dnnl && n_tokens >= amx_min_tokens && cpu::amx_supports(w.type)) {
      linear_amx(x, n_tokens, w, y, y_stride);
      return;
    }
    if (is_quantized(w.type)) {
      // fma_gemm_supports: quantized weights only on AVX2, where the integer kernels lack
      // VNNI; on AVX-512 the integer tiles (VNNI) are faster.
      if (fma_gemm_ && n_tokens >= kFmaGemmMinTokens && fma_gemm_reads(w) &&
          cpu::fma_gemm_supports(isa_, w.type)) {
        linear_fma_gemm(x, n_tokens, w, y, y_stride);
      } else {
        linear_quantized(x, n_tokens, w, y, y_stride);
      }
      return;
    }
    if (!dnnl_.empty() && w.type == DType::bf16 && n_tokens >= kMatrixUnitMinTokens) {
      linear_matrix_units(x, n_tokens, w, y, y_stride);
      return;
    }
    if (fma_gemm_ && n_tokens >= kFmaGemmMinTokens) {
      linear_fma_gemm(x, n_tokens, w, y, y_stride);
      return;
    }
    const cpu::DotRowsFn kernel = kernels_[static_cast<int>(w.type)];
    const std::size_t element = dtype_size(w.type);
    pool_.run([&](int thread, int n_threads) {
      const ItemRange mine = split_items(w.rows, kRowGrain, thread, n_threads);
      std::int64_t part_first = 0;
      for (const WeightMatrix& part : w.parts) {
        const std::int64_t begin = std::max(mine.begin, part_first);
        const std::int64_t end = std::min(mine.end, part_first + part.rows);
        if (begin < end) {
          const auto* rows = static_cast<const std::uint8_t*>(part.data) +
                             static_cast<std::size_t>((begin - part_first) * w.cols) * element;
          kernel(rows, end - begin, w.cols, x, w.cols, n_tokens, y + begin, y_stride);
        }
        part_first += part.rows;
      }
      add_bias(w, n_tokens, mine, y, y_stride);
    });
  }

  // Whether the FMA kernel reads every part of w: the file's row layout, or q8_0 repacked for
  // the lane kernels (on AVX2 the FMA kernel is its prefill; the other packed formats have
  // integer kernels that outrun it there).
  bool fma_gemm_reads(const Linear& w) const {
    return std::all_of(w.parts.begin(), w.parts.end(), [&](const WeightMatrix& p) {
      return p.layout != WeightLayout::packed ||
             (p.type == DType::q8_0 && isa_ == cpu::CpuIsa::avx2);
    });
  }

  // 16-bit or f32 weights, prefill-sized batch without matrix units: the FMA kernel with rows
  // along the lanes (cpu/fma_gemm.h), each thread its share of every part's rows.
  void linear_fma_gemm(const float* x, std::int64_t n_tokens, const Linear& w, float* y,
                       std::int64_t y_stride) {
    const auto row_bytes = static_cast<std::size_t>(dtype_row_bytes(w.type, w.cols));
    pool_.run([&](int thread, int n_threads) {
      std::int64_t part_first = 0;
      for (const WeightMatrix& part : w.parts) {
        const ItemRange mine = split_items(part.rows, kRowGrain, thread, n_threads);
        if (mine.begin < mine.end && part.layout == WeightLayout::packed) {
          cpu::fma_gemm_packed_q8_0(isa_, static_cast<const std::uint8_t*>(part.data), mine.begin,
                                    mine.end, w.cols, x, n_tokens, y + part_first + mine.begin,
                                    y_stride);
          add_bias(w, n_tokens, {part_first + mine.begin, part_first + mine.end}, y, y_stride);
        } else if (mine.begin < mine.end) {
          const auto* rows = static_cast<const std::uint8_t*>(part.data) +
                             static_cast<std::size_t>(mine.begin) * row_bytes;
          cpu::fma_gemm(isa_, w.type, rows, mine.end - mine.begin, w.cols, x, n_tokens,
                        y + part_first + mine.begin, y_stride);
          add_bias(w, n_tokens, {part_first + mine.begin, part_first + mine.end}, y, y_stride);
        }
        part_first += part.rows;
      }
    });
  }

  // Quantized weights: the activations are quantized per token to the format ggml pairs with the
  // weight type (q8_0, q8_1 or q8_k), then every output is an integer dot product per block.
  void linear_quantized(const float* x, std::int64_t n_tokens, const Linear& w, float* y,
                        std::int64_t y_stride) {
    const quant::QuantType weight_type = *quant::quant_type_of(w.type);
    const quant::QuantType activation_type = quant::vec_dot_activation_type(weight_type);
    const auto xq_row = static_cast<std::size_t>(quant::row_bytes(activation_type, w.cols));
    if (xq_.size() < xq_row * static_cast<std::size_t>(n_tokens))
      xq_.resize(xq_row * static_cast<std::size_t>(n_tokens));
    std::uint8_t* xq = xq_.data();
    pool_.run([&](int thread, int n_threads) {
      const ItemRange mine = split_items(n_tokens, 1, thread, n_threads);
      for (std::int64_t t = mine.begin; t < mine.end; ++t)
        quant::quantize_row(activation_type, x + t * w.cols, xq + xq_row * t, w.cols);
    });
    const auto w_row = static_cast<std::size_t>(dtype_row_bytes(w.type, w.cols));
    pool_.run([&](int thread, int n_threads) {
      const ItemRange mine = split_items(w.rows, kRowGrain, thread, n_threads);
      std::int64_t part_first = 0;
      for (const WeightMatrix& part : w.parts) {
        const std::int64_t begin = std::max(mine.begin, part_first);
        const std::int64_t end = std::min(mine.end, part_first + part.rows);
        if (begin < end) {
          // One product per part for this thread's rows: outputs equal vec_dot exactly, or to
          // float rounding for the AVX2 K-quant row kernels (quant::gemm_relaxed).
          const auto* packed = static_cast<const std::uint8_t*>(part.data);
          if (part.layout == WeightLayout::packed && weight_type == quant::QuantType::q8_0) {
            quant::gemm_packed_q8_0(packed, w.cols / quant::kBlock32, begin - part_first,
                                    end - part_first, reinterpret_cast<const quant::BlockQ8_0*>(xq),
                                    n_tokens, y + begin, y_stride);
          } else if (part.layout == WeightLayout::packed &&
                     quant::has_packed_q4_layout(weight_type)) {
            quant::gemm_packed_q4(weight_type, packed, w.cols / quant::kBlock32, begin - part_first,
                                  end - part_first, xq, n_tokens, y + begin, y_stride);
          } else if (part.layout == WeightLayout::packed) {
            quant::gemm_packed_k(weight_type, packed, w.cols / quant::block_elements(weight_type),
                                 begin - part_first, end - part_first, xq, n_tokens, y + begin,
                                 y_stride);
          } else {
            const auto* rows =
                static_cast<const std::uint8_t*>(part.data) + w_row * (begin - part_first);
            quant::gemm_relaxed(weight_type, rows, end - begin, w.cols, xq, n_tokens, y + begin,
                                y_stride);
          }
        }
        part_first += part.rows;
      }
      add_bias(w, n_tokens, mine, y, y_stride);
    });
  }

  // Prefill-sized batch on our AMX kernel: the activations packed once for the tiles, then each
  // thread multiplies its share of every part's rows (bf16 in place, others through bf16
  // panels).
  void linear_amx(const float* x, std::int64_t n_tokens, const Linear& w, float* y,
                  std::int64_t y_stride) {
    amx_x_.reshape(n_tokens, w.cols);
    pool_.run([&](int thread, int n_threads) {
      const ItemRange mine = split_items(amx_x_.token_blocks(), 1, thread, n_threads);
      cpu::amx_pack_activations(x, mine.begin, mine.end, amx_x_);
    });
    pool_.run([&](int thread, int n_threads) {
      std::int64_t part_first = 0;
      for (const WeightMatrix& part : w.parts) {
        const ItemRange mine = split_items(part.rows, kAmxRowGrain, thread, n_threads);
        if (mine.begin < mine.end) {
          cpu::amx_gemm(part, mine.begin, mine.end, amx_x_, y + part_first + mine.begin,
                        y_stride, amx_scratch_[static_cast<std::size_t>(thread)]);
          add_bias(w, n_tokens, {part_first + mine.begin, part_first + mine.end}, y, y_stride);
        }
        part_first += part.rows;
      }
    });
  }

  // bf16 weights, prefill-sized batch: oneDNN on the matrix units, one product per stacked part
  // writing its columns of y.
  void linear_matrix_units(const float* x, std::int64_t n_tokens, const Linear& w, float* y,
                           std::int64_t y_stride) {
    const auto n = static_cast<std::size_t>(n_tokens * w.cols);
    if (x_bf16_.size() < n) x_bf16_.resize(n);
    pool_.run([&](int thread, int n_threads) {
      const ItemRange mine = split_items(n_tokens, 1, thread, n_threads);
      cpu::round_to_bf16(x + mine.begin * w.cols, (mine.end - mine.begin) * w.cols,
                         x_bf16_.data() + mine.begin * w.cols);
    });
    // Each thread multiplies its share of every part's rows.
    pool_.run([&](int thread, int n_threads) {
      std::int64_t part_first = 0;
      for (const WeightMatrix& part : w.parts) {
        const ItemRange mine = split_items(part.rows, kRowGrain, thread, n_threads);
        if (mine.begin < mine.end) {
          dnnl_[static_cast<std::size_t>(thread)].bf16_rows(
              static_cast<const std::uint16_t*>(part.data) + mine.begin * w.cols,
              mine.end - mine.begin, w.cols, x_bf16_.data(), n_tokens, y + part_first + mine.begin,
              y_stride);
          add_bias(w, n_tokens, {part_first + mine.begin, part_first + mine.end}, y, y_stride);
        }
        part_first += part.rows;
      }
    });
  }

  static void add_bias(const Linear& w, std::int64_t n_tokens, const ItemRange& rows, float* y,
                       std::int64_t y_stride) {
    if (w.bias.empty()) return;
    for (std::int64_t t = 0; t < n_tokens; ++t) {
      float* row = y + t * y_stride;
      for (std::int64_t r = rows.begin; r < rows.end; ++r) row[r] += w.bias[r];
    }
  }

  void embed(const WeightMatrix& table, const std::int32_t* ids, std::int64_t n,
             float* out) override {
    for (std::int64_t t = 0; t < n; ++t) dequantize_row(table, ids[t], out + t * table.cols);
  }

  void rmsnorm(const float* x, const float* weight, std::int64_t n, std::int64_t dim, float eps,
               float* out) override {
    for_each_row(
        n, [&](std::int64_t t) { cpu::rmsnorm_row(x + t * dim, weight, dim, eps, out + t * dim); });
  }

  void rope(float* x, std::int64_t row_stride, const std::int32_t* positions, std::int64_t n,
            std::int64_t n_heads, std::int64_t head_dim, const float* inv_freq,
            RopeLayout layout) override {
    const std::int64_t half = head_dim / 2;
    pool_.run([&](int thread, int n_threads) {
      std::vector<float>& angles = scratch_[static_cast<std::size_t>(thread)];
      if (angles.size() < static_cast<std::size_t>(2 * half))
        angles.resize(static_cast<std::size_t>(2 * half));
      const ItemRange mine = split_items(n, 1, thread, n_threads);
      for (std::int64_t t = mine.begin; t < mine.end; ++t) {
        // freqs = position (fp32) * inv_freq (fp32); cos/sin in fp32, as transformers.
        for (std::int64_t i = 0; i < half; ++i) {
          const float angle = static_cast<float>(positions[t]) * inv_freq[i];
          angles[static_cast<std::size_t>(i)] = std::cos(angle);
          angles[static_cast<std::size_t>(half + i)] = std::sin(angle);
        }
        cpu::rope_row(x + t * row_stride, n_heads, head_dim, angles.data(), angles.data() + half,
                      layout);
      }
    });
  }

  void for_each_index(std::int64_t n, const std::function<void(std::int64_t)>& body) override {
    if (n <= 1 || pool_.size() == 1) {
      for (std::int64_t i = 0; i < n; ++i) body(i);
      return;
    }
    std::atomic<std::int64_t> next{0};
    pool_.run([&](int, int) {
      for (std::int64_t i = next.fetch_add(1); i < n; i = next.fetch_add(1)) body(i);
    });
  }

  void attention(std::span<const AttentionCall> calls) override {
    plan_attention(calls);
    std::size_t scratch_floats = 0;
    for (const AttentionCall& call : calls)
      scratch_floats = std::max(scratch_floats, cpu::attention_scratch_floats(call.shape.head_dim));
    if (attention_partials_.size() < static_cast<std::size_t>(partial_floats_))
      attention_partials_.resize(static_cast<std::size_t>(partial_floats_));
    // Tiles handed out dynamically (largest first): causal tiles differ in length.
    std::atomic<std::size_t> next{0};
    pool_.run([&](int thread, int) {
      std::vector<float>& scratch = scratch_[static_cast<std::size_t>(thread)];
      if (scratch.size() < scratch_floats) scratch.resize(scratch_floats);
      for (std::size_t w = next.fetch_add(1); w < attention_work_.size(); w = next.fetch_add(1)) {
        const AttentionWork& work = attention_work_[w];
        cpu::AttentionTileOut out = output_of(calls[work.call]);
        if (work.partial_max >= 0) {
          float* base = attention_partials_.data();
          out.partial_max = base + work.partial_max;
          out.partial_sum = base + work.partial_sum;
          out.partial_acc = base + work.partial_acc;
        }
        attention_.run(work.tile, out, scratch.data());
      }
    });
    if (attention_splits_.empty()) return;
    pool_.run([&](int thread, int n_threads) {
      const ItemRange mine =
          split_items(static_cast<std::int64_t>(attention_splits_.size()), 1, thread, n_threads);
      for (std::int64_t i = mine.begin; i < mine.end; ++i) {
        const AttentionSplit& split = attention_splits_[static_cast<std::size_t>(i)];
        const float* base = attention_partials_.data();
        cpu::attention_merge_partials(split.rows, split.n_parts, base + split.partial_max,
                                      base + split.partial_sum, base + split.partial_acc,
                                      output_of(calls[split.call]));
      }
    });
  }

  void swiglu(const float* gate_up, std::int64_t n, std::int64_t ff, float* out) override {
    for_each_row(n, [&](std::int64_t t) {
      swiglu_row_(gate_up + t * 2 * ff, gate_up + t * 2 * ff + ff, ff, out + t * ff);
    });
  }

  void add(float* x, const float* y, std::int64_t n) override { add_reference(x, y, n); }

 private:
  template <typename RowFn>
  void for_each_row(std::int64_t n, const RowFn& row) {
    if (n == 1) {
      row(0);
      return;
    }
    pool_.run([&](int thread, int n_threads) {
      const ItemRange mine = split_items(n, 1, thread, n_threads);
      for (std::int64_t t = mine.begin; t < mine.end; ++t) row(t);
    });
  }

  // One tile of attention work: its rows and cache range, and where its partial goes when its
  // rows' cache range is split over several tiles (offsets into attention_partials_, else -1).
  struct AttentionWork {
    cpu::AttentionTile tile;
    std::size_t call = 0;
    std::int64_t partial_max = -1, partial_sum = -1, partial_acc = -1;
  };
  // Rows whose cache range was split in n_parts tiles, merged after all tiles ran.
  struct AttentionSplit {
    cpu::AttentionTile rows;
    std::size_t call = 0;
    int n_parts = 0;
    std::int64_t partial_max = 0, partial_sum = 0, partial_acc = 0;
  };

  // A split part covers at least this many cache rows (shorter ones cost more to merge than
  // they save).
  static constexpr std::int64_t kMinSplitKvRows = 128;

  static cpu::AttentionTileOut output_of(const AttentionCall& call) {
    const AttentionShape& s = call.shape;
    return {call.out, s.out_stride != 0 ? s.out_stride : s.n_heads * s.head_dim};
  }

  // Fills attention_work_ (and attention_splits_): every call's (kv head, tile of rows) over the
  // cache rows its last query sees; with fewer tiles than a few per thread (decode), long cache
  // ranges are split across threads and merged afterwards.
  void plan_attention(std::span<const AttentionCall> calls) {
    attention_work_.clear();
    attention_splits_.clear();
    partial_floats_ = 0;
    const std::int64_t tile_rows = attention_.tile_rows;
    for (std::size_t c = 0; c < calls.size(); ++c) {
      const AttentionCall& call = calls[c];
      const AttentionShape& s = call.shape;
      if (s.n_q <= 0) continue;
      cpu::AttentionTile tile;
      tile.q = call.q;
      tile.q_stride = s.q_stride != 0 ? s.q_stride : s.n_heads * s.head_dim;
      tile.positions = call.q_positions;
      if (call.page_rows < s.n_kv && call.page_rows % kKvPageAlignment != 0) {
        throw Error(ErrorCode::invalid_argument,
                    "attention over a paged cache needs pages of a multiple of " +
                        std::to_string(kKvPageAlignment) + " positions, not " +
                        std::to_string(call.page_rows));
      }
      static_assert(kKvPageAlignment % cpu::kAttentionKvBlock == 0);
      tile.k_pages = call.k_pages;
      tile.v_pages = call.v_pages;
      tile.page_rows = call.page_rows;
      tile.kv_type = call.kv_type;
      tile.n_kv = s.n_kv;
      tile.kv_stride = s.n_kv_heads * s.head_dim;
      tile.group = s.n_heads / s.n_kv_heads;
      tile.head_dim = s.head_dim;
      const std::int64_t n_rows = s.n_q * tile.group;
      // Last tiles first: in a causal prefill they see the most rows.
      for (std::int64_t first = (n_rows - 1) / tile_rows * tile_rows; first >= 0;
           first -= tile_rows) {
        tile.row_begin = first;
        tile.n_rows = std::min(tile_rows, n_rows - first);
        tile.kv_end = 0;
        for (std::int64_t i = first / tile.group; i <= (first + tile.n_rows - 1) / tile.group; ++i)
          tile.kv_end = std::max<std::int64_t>(
              tile.kv_end, std::min<std::int64_t>(call.q_positions[i] + 1, s.n_kv));
        for (std::int64_t h = 0; h < s.n_kv_heads; ++h) {
          tile.kv_head = h;
          attention_work_.push_back({tile, c});
        }
      }
    }
    const auto n_threads = static_cast<std::int64_t>(pool_.size());
    const auto n_tiles = static_cast<std::int64_t>(attention_work_.size());
    if (n_threads == 1 || n_tiles == 0 || n_tiles >= 2 * n_threads) return;
    const std::int64_t parts_wanted = (4 * n_threads + n_tiles - 1) / n_tiles;
    std::vector<AttentionWork> tiles;
    tiles.swap(attention_work_);
    for (const AttentionWork& whole : tiles) {
      const std::int64_t n_kv_rows = whole.tile.kv_end - whole.tile.kv_begin;
      const std::int64_t parts =
          std::clamp<std::int64_t>(n_kv_rows / kMinSplitKvRows, 1, parts_wanted);
      if (parts == 1) {
        attention_work_.push_back(whole);
        continue;
      }
      // Parts of whole kv blocks, the last taking the remainder.
      const std::int64_t block = cpu::kAttentionKvBlock;
      const std::int64_t per_part = (n_kv_rows / parts + block - 1) / block * block;
      const std::int64_t rows = whole.tile.n_rows, d = whole.tile.head_dim;
      AttentionSplit split{whole.tile, whole.call, 0, partial_floats_, 0, 0};
      int n_parts = 0;
      for (std::int64_t begin = whole.tile.kv_begin; begin < whole.tile.kv_end; begin += per_part)
        ++n_parts;
      split.n_parts = n_parts;
      split.partial_sum = split.partial_max + n_parts * rows;
      split.partial_acc = split.partial_sum + n_parts * rows;
      partial_floats_ = split.partial_acc + n_parts * rows * d;
      int p = 0;
      for (std::int64_t begin = whole.tile.kv_begin; begin < whole.tile.kv_end;
           begin += per_part, ++p) {
        AttentionWork part = whole;
        part.tile.kv_begin = begin;
        part.tile.kv_end = std::min(begin + per_part, whole.tile.kv_end);
        part.partial_max = split.partial_max + p * rows;
        part.partial_sum = split.partial_sum + p * rows;
        part.partial_acc = split.partial_acc + p * rows * d;
        attention_work_.push_back(part);
      }
      attention_splits_.push_back(split);
    }
  }

  ThreadPool pool_;
  cpu::CpuIsa isa_;
  bool amx_;                                 // prefill on our AMX kernel
  bool fma_gemm_;                            // prefill on the FMA kernel where AMX is not used
  std::vector<cpu::DnnlMatmul> dnnl_;        // one per thread; empty: not used
  std::vector<cpu::AmxScratch> amx_scratch_;  // per thread
  cpu::AmxActivations amx_x_;                // activations packed for the tiles
  std::vector<std::uint16_t> x_bf16_;        // activations rounded for the matrix units
  cpu::DotRowsFn kernels_[3];                // by DType: f32, f16, bf16
  std::vector<std::vector<float>> scratch_;  // per thread
  cpu::AttentionKernel attention_;
  cpu::SwigluRowFn swiglu_row_;
  std::vector<AttentionWork> attention_work_;
  std::vector<AttentionSplit> attention_splits_;
  std::vector<float> attention_partials_;  // split tiles' partial results
  std::int64_t partial_floats_ = 0;
  std::vector<std::uint8_t> xq_;  // activations quantized for the integer dot products
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(const CpuBackendOptions& options) {
  const int n_threads = options.n_threads > 0 ? options.n_threads : physical_core_count();
  const cpu::CpuIsa isa = options.isa.value_or(cpu::best_isa());
  return std::make_unique<CpuBackend>(n_threads, isa, options.matrix_units);
}

}  // namespace r1::ops
