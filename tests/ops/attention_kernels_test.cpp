// The blocked attention kernels (attention_kernels.h) on every instruction set this processor
// runs, against the scalar reference attention_reference (through the CPU backend, which also
// plans the tiles and splits long cache ranges over threads) and, tile by tile, against the
// scalar tile kernel (partials of split ranges, rows that see nothing of a range). Odd shapes:
// 1..37 queries, up to ~600 cache rows, head_dim 20/64/96/128, GQA 1/2/6, f32/bf16/f16 caches,
// queries after a cached prefix, several sequences in one op, 1 to 3 threads.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "core/half.h"
#include "ops/backend.h"
#include "ops/cpu/attention_kernels.h"
#include "ops/cpu_backend.h"
#include "r1/error.h"
#include "ops_test_support.h"

namespace r1::ops {
namespace {

using cpu::CpuIsa;
using test_support::random_floats;
using test_support::supported_isas;

// One sequence: queries at positions prefix .. prefix + n_q - 1 over a cache of n_kv rows (the
// prefix and the queries' own rows, or fewer when n_kv says so), cache stored as `type`.
struct Sequence {
  AttentionShape shape;
  DType type = DType::f32;
  std::vector<float> q;
  std::vector<float> k, v;  // fp32 values (exactly representable in `type`)
  std::vector<std::uint16_t> k16, v16;
  std::vector<std::int32_t> positions;
  mutable const void* k_page = nullptr;  // call()'s single page
  mutable const void* v_page = nullptr;
  mutable std::vector<std::uint8_t> pool;  // paged_call()'s pages
  mutable std::vector<const void*> k_pages, v_pages;

  Sequence(std::int64_t n_q, std::int64_t prefix, std::int64_t n_kv, std::int64_t heads,
           std::int64_t kv_heads, std::int64_t d, DType kv_type, std::uint32_t seed,
           float q_scale = 1.0f)
      : shape{n_q, n_kv, heads, kv_heads, d}, type(kv_type) {
    q = random_floats(static_cast<std::size_t>(n_q * heads * d), seed, q_scale);
    k = random_floats(static_cast<std::size_t>(n_kv * kv_heads * d), seed + 1);
    v = random_floats(static_cast<std::size_t>(n_kv * kv_heads * d), seed + 2);
    for (std::int64_t i = 0; i < n_q; ++i)
      positions.push_back(static_cast<std::int32_t>(prefix + i));
    if (type != DType::f32) {
      for (std::vector<float>* values : {&k, &v}) {
        auto& bits = values == &k ? k16 : v16;
        for (float& x : *values) {
          bits.push_back(type == DType::bf16 ? f32_to_bf16(x) : f32_to_f16(x));
          x = type == DType::bf16 ? bf16_to_f32(bits.back()) : f16_to_f32(bits.back());
        }
      }
    }
  }

  // The cache as one contiguous page.
  AttentionCall call(float* out) const {
    k_page = type == DType::f32 ? static_cast<const void*>(k.data()) : k16.data();
    v_page = type == DType::f32 ? static_cast<const void*>(v.data()) : v16.data();
    return {q.data(), &k_page, &v_page, shape.n_kv, positions.data(), out, shape, type};
  }

  // The cache copied into pages of page_rows positions, stored in a pool in reverse order (so a
  // kernel reading past a page's end, or ignoring the page table, reads the wrong rows).
  AttentionCall paged_call(float* out, std::int64_t page_rows) const {
    const std::int64_t kv_dim = shape.n_kv_heads * shape.head_dim;
    const std::size_t row_bytes = static_cast<std::size_t>(kv_dim) * dtype_size(type);
    const std::int64_t n_pages = (shape.n_kv + page_rows - 1) / page_rows;
    const std::size_t page_bytes = row_bytes * static_cast<std::size_t>(page_rows);
    pool.assign(2 * static_cast<std::size_t>(n_pages) * page_bytes, 0xFF);
    k_pages.assign(static_cast<std::size_t>(n_pages), nullptr);
    v_pages.assign(static_cast<std::size_t>(n_pages), nullptr);
    const auto* k_bytes = reinterpret_cast<const std::uint8_t*>(
        type == DType::f32 ? static_cast<const void*>(k.data()) : k16.data());
    const auto* v_bytes = reinterpret_cast<const std::uint8_t*>(
        type == DType::f32 ? static_cast<const void*>(v.data()) : v16.data());
    for (std::int64_t p = 0; p < n_pages; ++p) {
      std::uint8_t* k_dst = pool.data() + static_cast<std::size_t>(2 * (n_pages - 1 - p)) * page_bytes;
      std::uint8_t* v_dst = k_dst + page_bytes;
      const std::int64_t rows = std::min(page_rows, shape.n_kv - p * page_rows);
      const std::size_t at = static_cast<std::size_t>(p * page_rows) * row_bytes;
      std::memcpy(k_dst, k_bytes + at, static_cast<std::size_t>(rows) * row_bytes);
      std::memcpy(v_dst, v_bytes + at, static_cast<std::size_t>(rows) * row_bytes);
      k_pages[static_cast<std::size_t>(p)] = k_dst;
      v_pages[static_cast<std::size_t>(p)] = v_dst;
    }
    return {q.data(), k_pages.data(), v_pages.data(), page_rows, positions.data(), out, shape,
            type};
  }

  std::vector<float> reference() const {
    std::vector<float> out(q.size());
    attention_reference(q.data(), k.data(), v.data(), positions.data(), shape, out.data());
    return out;
  }
};

void expect_close(const std::vector<float>& ours, const std::vector<float>& reference, double tol,
                  const std::string& what) {
  ASSERT_EQ(ours.size(), reference.size()) << what;
  for (std::size_t i = 0; i < ours.size(); ++i)
    ASSERT_NEAR(ours[i], reference[i], tol * (1.0 + std::abs(reference[i]))) << what << " at " << i;
}

struct Case {
  std::int64_t n_q, prefix, n_kv, heads, kv_heads, d;
};

TEST(AttentionKernels, BackendMatchesReferenceOnOddShapes) {
  // n_kv < 0 means prefix + n_q (every query's own row cached).
  const std::vector<Case> cases = {
      {1, 0, -1, 12, 2, 128},    // first decode step
      {1, 599, -1, 12, 2, 128},  // long-context decode: split over threads
      {1, 300, -1, 4, 4, 64},    // GQA 1
      {37, 0, -1, 12, 2, 128},   // prefill, tiles straddling nothing (group 6, 48 rows)
      {37, 563, -1, 6, 3, 96},   // prefill after a cached prefix, GQA 2
      {9, 4, -1, 14, 2, 64},     // group 7: tiles straddle queries
      {5, 40, 42, 6, 1, 20},     // head_dim not a multiple of a vector; n_kv below the last rows
      {2, 33, -1, 2, 1, 128},    // 2 queries, a kv block boundary crossed
      {16, 0, -1, 1, 1, 64},     // one head
  };
  std::uint32_t seed = 100;
  for (const Case& c : cases) {
    for (DType type : {DType::f32, DType::bf16, DType::f16}) {
      const std::int64_t n_kv = c.n_kv < 0 ? c.prefix + c.n_q : c.n_kv;
      const Sequence seq(c.n_q, c.prefix, n_kv, c.heads, c.kv_heads, c.d, type, seed += 3);
      const std::vector<float> expected = seq.reference();
      for (CpuIsa isa : supported_isas()) {
        for (int threads : {1, 2, 3}) {
          std::vector<float> ours(expected.size(), std::numeric_limits<float>::quiet_NaN());
          const AttentionCall call = seq.call(ours.data());
          make_cpu_backend({threads, isa})->attention(std::span(&call, 1));
          expect_close(ours, expected, 1e-5,
                       std::string(cpu::isa_name(isa)) + " " + dtype_cli_name(type) + " n_q " +
                           std::to_string(c.n_q) + " prefix " + std::to_string(c.prefix) +
                           " heads " + std::to_string(c.heads) + "/" + std::to_string(c.kv_heads) +
                           " d " + std::to_string(c.d) + " threads " + std::to_string(threads));
        }
      }
    }
  }
}

TEST(AttentionKernels, PeakedScoresNeedTheRunningMaxRescaled) {
  // Large queries: scores in the hundreds, the max grows block after block (exp would overflow
  // without the running max).
  const Sequence seq(20, 200, 220, 6, 1, 64, DType::bf16, 7, 12.0f);
  const std::vector<float> expected = seq.reference();
  for (CpuIsa isa : supported_isas()) {
    for (int threads : {1, 2}) {
      std::vector<float> ours(expected.size());
      const AttentionCall call = seq.call(ours.data());
      make_cpu_backend({threads, isa})->attention(std::span(&call, 1));
      expect_close(ours, expected, 2e-5, cpu::isa_name(isa));
    }
  }
}

TEST(AttentionKernels, SeveralSequencesInOneOp) {
  // A batch: a prefill after a prefix, two long decodes and a short one, different cache types
  // are not mixed in one op (one cache), so all bf16; outputs into rows of one buffer.
  std::vector<Sequence> seqs;
  seqs.emplace_back(13, 50, 63, 12, 2, 128, DType::bf16, 1);
  seqs.emplace_back(1, 500, 501, 12, 2, 128, DType::bf16, 11);
  seqs.emplace_back(1, 3, 4, 12, 2, 128, DType::bf16, 21);
  seqs.emplace_back(1, 333, 334, 12, 2, 128, DType::bf16, 31);
  std::vector<float> expected;
  for (const Sequence& s : seqs) {
    const std::vector<float> r = s.reference();
    expected.insert(expected.end(), r.begin(), r.end());
  }
  for (CpuIsa isa : supported_isas()) {
    for (int threads : {1, 2, 3}) {
      std::vector<float> ours(expected.size());
      std::vector<AttentionCall> calls;
      std::size_t offset = 0;
      for (const Sequence& s : seqs) {
        calls.push_back(s.call(ours.data() + offset));
        offset += s.q.size();
      }
      make_cpu_backend({threads, isa})->attention(calls);
      expect_close(ours, expected, 1e-5,
                   std::string(cpu::isa_name(isa)) + " threads " + std::to_string(threads));
    }
  }
}

TEST(AttentionKernels, PagedCachesMatchTheReference) {
  // The same sequences with their caches in scattered pages (KvCache's blocks): prefills that
  // cross page boundaries, decodes long enough to be split across threads (split parts start on
  // a page), every cache type, pages of one and of two kernel blocks; and the reference backend
  // reading the same pages.
  for (DType type : {DType::f32, DType::bf16, DType::f16}) {
    std::vector<Sequence> seqs;
    seqs.emplace_back(40, 30, 70, 12, 2, 64, type, 101);
    seqs.emplace_back(1, 700, 701, 12, 2, 64, type, 111);
    seqs.emplace_back(1, 31, 32, 12, 2, 64, type, 121);
    seqs.emplace_back(3, 62, 65, 12, 2, 64, type, 131);
    std::vector<float> expected;
    for (const Sequence& s : seqs) {
      const std::vector<float> r = s.reference();
      expected.insert(expected.end(), r.begin(), r.end());
    }
    for (std::int64_t page_rows : {kKvPageAlignment, 2 * kKvPageAlignment}) {
      const std::string what = std::string(dtype_cli_name(type)) + " pages of " +
                               std::to_string(page_rows);
      auto paged_calls = [&](std::vector<float>& out) {
        std::vector<AttentionCall> calls;
        std::size_t offset = 0;
        for (const Sequence& s : seqs) {
          calls.push_back(s.paged_call(out.data() + offset, page_rows));
          offset += s.q.size();
        }
        return calls;
      };
      std::vector<float> theirs(expected.size());
      make_reference_backend()->attention(paged_calls(theirs));
      expect_close(theirs, expected, 1e-6, "reference, " + what);
      for (CpuIsa isa : supported_isas()) {
        for (int threads : {1, 3}) {
          std::vector<float> ours(expected.size());
          make_cpu_backend({threads, isa})->attention(paged_calls(ours));
          expect_close(ours, expected, 1e-5,
                       what + " " + cpu::isa_name(isa) + " threads " + std::to_string(threads));
        }
      }
    }
  }
}

TEST(AttentionKernels, PagesThatSplitAKernelBlockAreRefused) {
  const Sequence seq(1, 40, 41, 4, 2, 16, DType::f32, 7);
  std::vector<float> out(seq.q.size());
  const AttentionCall call = seq.paged_call(out.data(), 20);
  EXPECT_THROW(make_cpu_backend({1, std::nullopt})->attention(std::span(&call, 1)), Error);
}

TEST(AttentionKernels, TilePartialsMatchTheScalarTileAndMergeToTheWhole) {
  // One tile of every SIMD kernel over cache ranges [begin, end), partial outputs, against the
  // scalar tile: rows whose queries see nothing of the range report max -inf and sum 0.
  const Sequence seq(12, 90, 102, 12, 2, 96, DType::f16, 5);
  const std::int64_t group = 6, d = 96;
  cpu::AttentionTile tile;
  tile.q = seq.q.data();
  tile.q_stride = 12 * d;
  tile.positions = seq.positions.data();
  const void* k_page = seq.k16.data();
  const void* v_page = seq.v16.data();
  tile.k_pages = &k_page;
  tile.v_pages = &v_page;
  tile.page_rows = 102;
  tile.kv_type = DType::f16;
  tile.n_kv = 102;
  tile.kv_stride = 2 * d;
  tile.group = group;
  tile.head_dim = d;
  std::vector<float> scratch(cpu::attention_scratch_floats(d));
  for (CpuIsa isa : supported_isas()) {
    const cpu::AttentionKernel kernel = cpu::attention_kernel(isa);
    // A full tile, and tiles of a few rows (the decode kernel that pairs cache rows in lanes).
    for (std::int64_t n_rows : {kernel.tile_rows, std::int64_t{7}, std::int64_t{4}}) {
      tile.kv_head = 1;
      tile.row_begin = 5;
      tile.n_rows = std::min<std::int64_t>(n_rows, 12 * group - 5);
      const std::vector<std::pair<std::int64_t, std::int64_t>> ranges = {
          {0, 37}, {37, 94}, {94, 102}};
      std::vector<float> max_all, sum_all, acc_all;
      for (auto [begin, end] : ranges) {
        tile.kv_begin = begin;
        tile.kv_end = end;
        const auto rows = static_cast<std::size_t>(tile.n_rows);
        std::vector<float> m(rows), s(rows), acc(rows * d), m0(rows), s0(rows), acc0(rows * d);
        kernel.run(tile, {nullptr, 0, m.data(), s.data(), acc.data()}, scratch.data());
        cpu::attention_tile_scalar(tile, {nullptr, 0, m0.data(), s0.data(), acc0.data()},
                                   scratch.data());
        const std::string what = std::string(cpu::isa_name(isa)) + " rows " +
                                 std::to_string(begin) + ".." + std::to_string(end);
        for (std::size_t r = 0; r < rows; ++r) {
          if (m0[r] == -std::numeric_limits<float>::infinity()) {
            EXPECT_EQ(m[r], m0[r]) << what;
            EXPECT_EQ(s[r], 0.0f) << what;
          } else {
            EXPECT_NEAR(m[r], m0[r], 1e-5 * (1 + std::abs(m0[r]))) << what;
            EXPECT_NEAR(s[r], s0[r], 1e-5 * s0[r]) << what;
          }
        }
        expect_close(acc, acc0, 1e-5, what);
        max_all.insert(max_all.end(), m.begin(), m.end());
        sum_all.insert(sum_all.end(), s.begin(), s.end());
        acc_all.insert(acc_all.end(), acc.begin(), acc.end());
      }
      // The merged parts give the rows' attention over the whole cache.
      std::vector<float> merged(seq.q.size(), 0.0f);
      cpu::attention_merge_partials(tile, 3, max_all.data(), sum_all.data(), acc_all.data(),
                                    {merged.data(), 12 * d});
      const std::vector<float> expected = seq.reference();
      for (std::int64_t r = 0; r < tile.n_rows; ++r) {
        const std::int64_t f = tile.row_begin + r, i = f / group, h = group + f % group;
        for (std::int64_t c = 0; c < d; ++c) {
          const std::size_t at = static_cast<std::size_t>((i * 12 + h) * d + c);
          ASSERT_NEAR(merged[at], expected[at], 1e-5 * (1 + std::abs(expected[at])))
              << cpu::isa_name(isa) << " row " << f;
        }
      }
    }
  }
}

}  // namespace
}  // namespace r1::ops
