// Every CUDA kernel against its scalar reference (ops/reference_ops.h, ops/rope.h) on random
// shapes with odd tails. They run where a CUDA device is present; elsewhere each test reports
// itself skipped with the reason the probe gives (no driver, too old, no device).
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "core/half.h"
#include "ops/cuda/cuda_device.h"
#include "ops/cuda/device_buffer.h"
#include "ops/cuda/kernels.h"
#include "ops/reference_ops.h"
#include "ops/rope.h"
#include "quant/quantize.h"
#include "r1/error.h"

namespace r1::ops::cuda {
namespace {

class CudaOps : public ::testing::Test {
 protected:
  void SetUp() override {
    const DeviceProbe& probe = probe_devices();
    if (!probe.usable()) GTEST_SKIP() << "no CUDA device to test on: " << probe.problem;
    select_device(0);
  }
  std::mt19937 rng_{1234};

  void expect_product_matches_reference(
      void (*product)(DType, const void*, std::int64_t, std::int64_t, const float*, std::int64_t,
                      std::int64_t, const float*, float*, std::int64_t, cudaStream_t),
      DType type, std::int64_t cols, std::int64_t n_tokens, bool padded_x, bool round_x);

  std::vector<float> random(std::size_t n, float scale = 1.0f) {
    std::normal_distribution<float> dist(0.0f, scale);
    std::vector<float> v(n);
    for (float& x : v) x = dist(rng_);
    return v;
  }
};

// ||a - b|| / ||b||. The bounds below allow for another summation order (~1e-7 here); a wrong
// index or a missed tail gives errors of order 1.
double relative_error(const std::vector<float>& a, const std::vector<float>& b) {
  double diff = 0.0, norm = 0.0;
  for (std::size_t i = 0; i < b.size(); ++i) {
    diff += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
    norm += double(b[i]) * b[i];
  }
  return norm == 0.0 ? std::sqrt(diff) : std::sqrt(diff / norm);
}

template <typename T>
DeviceArray<T> to_device(const std::vector<T>& host) {
  return DeviceArray<T>(std::span<const T>(host));
}

template <typename T>
std::vector<T> download(const DeviceArray<T>& d) {
  std::vector<T> host(d.size());
  d.download(host);
  return host;
}

void synchronize() {
  check_cuda(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
}

// Weights of `type` for the given floats (16-bit types rounded), and the floats they hold.
struct TypedValues {
  std::vector<std::uint8_t> bytes;
  std::vector<float> values;
};
TypedValues typed(DType type, const std::vector<float>& v) {
  TypedValues out;
  out.values = v;
  if (type == DType::f32) {
    out.bytes.resize(v.size() * 4);
    std::memcpy(out.bytes.data(), v.data(), out.bytes.size());
    return out;
  }
  out.bytes.resize(v.size() * 2);
  auto* bits = reinterpret_cast<std::uint16_t*>(out.bytes.data());
  for (std::size_t i = 0; i < v.size(); ++i) {
    bits[i] = type == DType::bf16 ? f32_to_bf16(v[i]) : f32_to_f16(v[i]);
    out.values[i] = type == DType::bf16 ? bf16_to_f32(bits[i]) : f16_to_f32(bits[i]);
  }
  return out;
}

TEST(CudaDevice, ProbeSaysWhyThereIsNoDeviceOrListsThem) {
  const DeviceProbe& probe = probe_devices();
  EXPECT_GT(probe.runtime_version, 0);
  if (probe.usable()) {
    EXPECT_TRUE(probe.problem.empty());
    EXPECT_FALSE(probe.devices.front().name.empty());
    EXPECT_GT(probe.devices.front().total_bytes, 0u);
  } else {
    EXPECT_FALSE(probe.problem.empty());
    try {
      select_device(std::nullopt);
      ADD_FAILURE() << "select_device succeeded without a device";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::unsupported);
      EXPECT_NE(std::string(e.what()).find(probe.problem), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("--device cpu"), std::string::npos) << e.what();
    }
  }
}

TEST(CudaDevice, VersionsReadAsMajorDotMinor) {
  EXPECT_EQ(cuda_version_text(12040), "12.4");
  EXPECT_EQ(cuda_version_text(13000), "13.0");
  EXPECT_EQ(cuda_version_text(11080), "11.8");
}

TEST_F(CudaOps, RmsNormMatchesReference) {
  for (std::int64_t dim : {1, 7, 1536, 8963}) {
    for (std::int64_t n : {1, 3}) {
      const auto x = random(static_cast<std::size_t>(n * dim), 3.0f);
      const auto weight = random(static_cast<std::size_t>(dim));
      std::vector<float> expected(x.size());
      rmsnorm_reference(x.data(), weight.data(), n, dim, 1e-6f, expected.data());
      const auto dx = to_device(x);
      const auto dw = to_device(weight);
      DeviceArray<float> dout(x.size());
      rmsnorm(dx.data(), dw.data(), n, dim, 1e-6f, dout.data(), nullptr);
      synchronize();
      EXPECT_LT(relative_error(download(dout), expected), 1e-5) << "dim " << dim << " n " << n;
    }
  }
}

// The fused residual add + norm: x holds the sum afterwards and out its norm, as the reference
// computes them one after the other, and bit for bit what the two kernels give.
TEST_F(CudaOps, AddRmsNormEqualsAddThenRmsNorm) {
  for (std::int64_t dim : {7, 1536, 8963}) {
    const std::int64_t n = 3;
    const auto x = random(static_cast<std::size_t>(n * dim), 3.0f);
    const auto y = random(static_cast<std::size_t>(n * dim), 2.0f);
    const auto weight = random(static_cast<std::size_t>(dim));
    std::vector<float> sum(x.size()), expected(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) sum[i] = x[i] + y[i];
    rmsnorm_reference(sum.data(), weight.data(), n, dim, 1e-6f, expected.data());

    const auto fused_x = to_device(x), two_x = to_device(x);
    const auto dy = to_device(y), dw = to_device(weight);
    DeviceArray<float> fused_out(x.size()), two_out(x.size());
    add_rmsnorm(fused_x.data(), dy.data(), dw.data(), n, dim, 1e-6f, fused_out.data(), nullptr);
    add(two_x.data(), dy.data(), n * dim, nullptr);
    rmsnorm(two_x.data(), dw.data(), n, dim, 1e-6f, two_out.data(), nullptr);
    synchronize();
    EXPECT_EQ(download(fused_x), sum) << "dim " << dim;
    EXPECT_EQ(download(fused_out), download(two_out)) << "dim " << dim;
    EXPECT_LT(relative_error(download(fused_out), expected), 1e-5) << "dim " << dim;
  }
}

TEST_F(CudaOps, AddAndSwigluMatchReference) {
  const std::int64_t n = 3, ff = 1001;
  const auto gate_up = random(static_cast<std::size_t>(n * 2 * ff), 4.0f);
  std::vector<float> expected(static_cast<std::size_t>(n * ff));
  swiglu_reference(gate_up.data(), gate_up.data() + ff, 2 * ff, n, ff, expected.data());
  const auto dgu = to_device(gate_up);
  DeviceArray<float> dout(expected.size());
  swiglu(dgu.data(), n, ff, dout.data(), nullptr);
  synchronize();
  EXPECT_LT(relative_error(download(dout), expected), 1e-6);

  auto x = random(12345), y = random(12345);
  const auto dx = to_device(x);
  const auto dy = to_device(y);
  add(dx.data(), dy.data(), static_cast<std::int64_t>(x.size()), nullptr);
  add_reference(x.data(), y.data(), static_cast<std::int64_t>(x.size()));
  synchronize();
  EXPECT_EQ(download(dx), x);  // one rounding each: exact
}

TEST_F(CudaOps, RopeMatchesReferenceInBothLayouts) {
  for (RopeLayout layout : {RopeLayout::rotate_half, RopeLayout::interleaved}) {
    for (std::int64_t head_dim : {64, 128}) {
      const std::int64_t n = 5, n_heads = 3, stride = n_heads * head_dim + 17;
      const std::vector<std::int32_t> positions = {0, 1, 77, 4095, 131000};
      const auto inv_freq = rope_inv_freq(head_dim, 1e6, RopeScaling{});
      auto x = random(static_cast<std::size_t>(n * stride));
      const auto dx = to_device(x);
      const auto dfreq = to_device(inv_freq);
      const auto dpos = to_device(positions);
      rope(dx.data(), stride, dpos.data(), n, n_heads, head_dim, dfreq.data(), layout, nullptr);
      for (std::int64_t t = 0; t < n; ++t)
        rope_reference(x.data() + t * stride, positions.data() + t, 1, n_heads, head_dim,
                       inv_freq.data(), layout);
      synchronize();
      // Angles up to 1.3e5 rad: the device's and the host's fp32 sin / cos may differ by an ulp
      // of the reduced argument.
      EXPECT_LT(relative_error(download(dx), x), 1e-5) << "head_dim " << head_dim;
    }
  }
}

TEST_F(CudaOps, EmbedWidensTheRowsOfEveryElementType) {
  for (DType type : {DType::f32, DType::f16, DType::bf16}) {
    const std::int64_t vocab = 50, cols = 37;
    const TypedValues table = typed(type, random(static_cast<std::size_t>(vocab * cols)));
    const std::vector<std::int32_t> ids = {3, 0, 49, 3};
    const auto dtable = to_device(table.bytes);
    const auto dids = to_device(ids);
    DeviceArray<float> dout(ids.size() * cols);
    embed(type, dtable.data(), cols, dids.data(), 4, dout.data(), nullptr);
    synchronize();
    std::vector<float> expected;
    for (std::int32_t id : ids)
      expected.insert(expected.end(), table.values.begin() + id * cols,
                      table.values.begin() + (id + 1) * cols);
    EXPECT_EQ(download(dout), expected) << dtype_cli_name(type);
  }
}

// One product of `rows` random rows against its reference on odd shapes: x_stride padded or
// not, y_stride padded (the padding must stay untouched). With round_x the reference sees the
// activations rounded to the weights' type, as the tensor cores do.
using ProductFn = void (*)(DType, const void*, std::int64_t, std::int64_t, const float*,
                           std::int64_t, std::int64_t, const float*, float*, std::int64_t,
                           cudaStream_t);
void CudaOps::expect_product_matches_reference(ProductFn product, DType type, std::int64_t cols,
                                               std::int64_t n_tokens, bool padded_x, bool round_x) {
  const std::int64_t rows = 301;
  const std::int64_t x_stride = cols + (padded_x ? 3 : 0);
  const std::int64_t y_stride = rows + 5;
  const TypedValues w = typed(type, random(static_cast<std::size_t>(rows * cols)));
  const auto x = random(static_cast<std::size_t>(n_tokens * x_stride));
  const auto bias = random(static_cast<std::size_t>(rows));
  std::vector<float> x_packed;
  for (std::int64_t t = 0; t < n_tokens; ++t)
    for (std::int64_t i = 0; i < cols; ++i) {
      const float v = x[static_cast<std::size_t>(t * x_stride + i)];
      x_packed.push_back(!round_x              ? v
                         : type == DType::bf16 ? bf16_to_f32(f32_to_bf16(v))
                                               : f16_to_f32(f32_to_f16(v)));
    }
  std::vector<float> expected(static_cast<std::size_t>(n_tokens * rows));
  WeightMatrix wm{type, w.bytes.data(), rows, cols};
  matmul_reference(x_packed.data(), n_tokens, wm, bias.data(), expected.data());

  const auto dw = to_device(w.bytes);
  const auto dx = to_device(x);
  const auto db = to_device(bias);
  const auto dy =
      to_device(std::vector<float>(static_cast<std::size_t>(n_tokens * y_stride), -7.0f));
  product(type, dw.data(), rows, cols, dx.data(), x_stride, n_tokens, db.data(), dy.data(),
          y_stride, nullptr);
  synchronize();
  const auto got = download(dy);
  std::vector<float> got_rows;
  for (std::int64_t t = 0; t < n_tokens; ++t) {
    got_rows.insert(got_rows.end(), got.begin() + t * y_stride, got.begin() + t * y_stride + rows);
    for (std::int64_t r = rows; r < y_stride; ++r)
      ASSERT_EQ(got[static_cast<std::size_t>(t * y_stride + r)], -7.0f) << "padding overwritten";
  }
  EXPECT_LT(relative_error(got_rows, expected), 1e-5)
      << dtype_cli_name(type) << " cols " << cols << " tokens " << n_tokens
      << (padded_x ? " padded x" : "");
}

TEST_F(CudaOps, MatmulRowsMatchesReference) {
  for (DType type : {DType::f32, DType::f16, DType::bf16})
    for (std::int64_t cols : {5, 8, 264, 1536, 1543})
      for (std::int64_t n_tokens : {1, 3, 8, 13})
        for (bool padded_x : {false, true})
          expect_product_matches_reference(matmul_rows, type, cols, n_tokens, padded_x, false);
}

// The tensor-core product rounds the activations to the weights' type, so its oracle is the
// reference on rounded activations: then only the order of the fp32 sums differs. Shapes cross
// every edge of the 64 x 64 x 32 tile: ragged tokens, rows and columns, unaligned strides.
TEST_F(CudaOps, MatmulTensorCoresMatchesReferenceOnRoundedActivations) {
  for (DType type : {DType::f16, DType::bf16})
    for (std::int64_t cols : {5, 8, 40, 1536, 1543})
      for (std::int64_t n_tokens : {9, 64, 65, 130})
        for (bool padded_x : {false, true})
          expect_product_matches_reference(matmul_tensor_cores, type, cols, n_tokens, padded_x,
                                           true);
}

// Three parts stacked by rows (as q | k | v) in one launch of either kernel: each output row is
// the reference's product with its own part's row, bias indexed across the parts.
TEST_F(CudaOps, StackedPartsInOneLaunchEqualEachPartAlone) {
  const std::int64_t cols = 264;
  const std::vector<std::int64_t> part_rows = {37, 8, 13};
  for (DType type : {DType::f32, DType::bf16}) {
    for (std::int64_t n_tokens : {3, 20}) {
      std::vector<TypedValues> parts;
      std::vector<DeviceArray<std::uint8_t>> device_parts;
      StackedRows stacked;
      for (std::int64_t rows : part_rows) {
        parts.push_back(typed(type, random(static_cast<std::size_t>(rows * cols))));
        device_parts.push_back(to_device(parts.back().bytes));
        ASSERT_TRUE(stacked.add(device_parts.back().data(), rows));
      }
      const std::int64_t total = stacked.rows();
      const auto x = random(static_cast<std::size_t>(n_tokens * cols));
      const auto bias = random(static_cast<std::size_t>(total));
      std::vector<float> x_used = x;  // the tensor cores see the activations rounded to bf16
      if (use_tensor_cores(type, n_tokens))
        for (float& v : x_used) v = bf16_to_f32(f32_to_bf16(v));
      std::vector<float> expected(static_cast<std::size_t>(n_tokens * total));
      std::int64_t first = 0;
      for (std::size_t p = 0; p < parts.size(); ++p) {
        std::vector<float> y(static_cast<std::size_t>(n_tokens * part_rows[p]));
        WeightMatrix wm{type, parts[p].bytes.data(), part_rows[p], cols};
        matmul_reference(x_used.data(), n_tokens, wm, bias.data() + first, y.data());
        for (std::int64_t t = 0; t < n_tokens; ++t)
          for (std::int64_t r = 0; r < part_rows[p]; ++r)
            expected[static_cast<std::size_t>(t * total + first + r)] =
                y[static_cast<std::size_t>(t * part_rows[p] + r)];
        first += part_rows[p];
      }
      const auto dx = to_device(x);
      const auto db = to_device(bias);
      const auto dy = to_device(std::vector<float>(expected.size(), -7.0f));
      if (use_tensor_cores(type, n_tokens)) {
        matmul_tensor_cores(type, stacked, cols, dx.data(), cols, n_tokens, db.data(), dy.data(),
                            total, nullptr);
      } else {
        matmul_rows(type, stacked, cols, dx.data(), cols, n_tokens, db.data(), dy.data(), total,
                    nullptr);
      }
      synchronize();
      EXPECT_LT(relative_error(download(dy), expected), 1e-5)
          << dtype_cli_name(type) << " tokens " << n_tokens;
    }
  }
}

// q8_0 rows as the file has them (34-byte blocks, so rows start on 2 bytes only), in two stacked
// parts: the dequantized weights' product (the reference on dequantize_row's floats), for decode
// and for a batch that takes several 8-token passes; the embedding lookup of the same table.
TEST_F(CudaOps, Q8_0ProductAndLookupMatchTheDequantizedReference) {
  const std::int64_t cols = 320;  // 10 blocks: lanes 10-31 have none
  const std::vector<std::int64_t> part_rows = {37, 11};
  std::vector<std::vector<std::uint8_t>> blocks;
  std::vector<std::vector<float>> dequantized;
  const std::int64_t row_bytes = cols / 32 * 34;
  for (std::int64_t rows : part_rows) {
    const auto w = random(static_cast<std::size_t>(rows * cols));
    blocks.emplace_back(static_cast<std::size_t>(rows * row_bytes));
    dequantized.emplace_back(w.size());
    for (std::int64_t r = 0; r < rows; ++r) {
      quant::quantize_row(quant::QuantType::q8_0, w.data() + r * cols,
                          blocks.back().data() + r * row_bytes, cols);
      quant::dequantize_row(quant::QuantType::q8_0, blocks.back().data() + r * row_bytes,
                            dequantized.back().data() + r * cols, cols);
    }
  }
  std::vector<DeviceArray<std::uint8_t>> device_parts;
  StackedRows stacked;
  for (std::size_t p = 0; p < blocks.size(); ++p) {
    device_parts.push_back(to_device(blocks[p]));
    ASSERT_TRUE(stacked.add(device_parts.back().data(), part_rows[p]));
  }
  const std::int64_t total = stacked.rows();
  for (std::int64_t n_tokens : {1, 19}) {
    const auto x = random(static_cast<std::size_t>(n_tokens * cols));
    std::vector<float> expected(static_cast<std::size_t>(n_tokens * total));
    std::int64_t first = 0;
    for (std::size_t p = 0; p < blocks.size(); ++p) {
      std::vector<float> y(static_cast<std::size_t>(n_tokens * part_rows[p]));
      WeightMatrix wm{DType::f32, dequantized[p].data(), part_rows[p], cols};
      matmul_reference(x.data(), n_tokens, wm, nullptr, y.data());
      for (std::int64_t t = 0; t < n_tokens; ++t)
        for (std::int64_t r = 0; r < part_rows[p]; ++r)
          expected[static_cast<std::size_t>(t * total + first + r)] =
              y[static_cast<std::size_t>(t * part_rows[p] + r)];
      first += part_rows[p];
    }
    const auto dx = to_device(x);
    const auto dy = to_device(std::vector<float>(expected.size(), -7.0f));
    matmul_rows(DType::q8_0, stacked, cols, dx.data(), cols, n_tokens, nullptr, dy.data(), total,
                nullptr);
    synchronize();
    EXPECT_LT(relative_error(download(dy), expected), 1e-5) << "tokens " << n_tokens;
  }
  const std::vector<std::int32_t> ids = {36, 0, 5};
  const auto dids = to_device(ids);
  DeviceArray<float> rows_out(ids.size() * static_cast<std::size_t>(cols));
  embed(DType::q8_0, device_parts[0].data(), cols, dids.data(),
        static_cast<std::int64_t>(ids.size()), rows_out.data(), nullptr);
  synchronize();
  const auto got = download(rows_out);
  for (std::size_t i = 0; i < ids.size(); ++i)
    for (std::int64_t c = 0; c < cols; ++c)
      ASSERT_EQ(got[i * static_cast<std::size_t>(cols) + static_cast<std::size_t>(c)],
                dequantized[0][static_cast<std::size_t>(ids[i] * cols + c)])
          << "row " << ids[i] << " column " << c;
}

TEST(CudaKernels, TensorCoresTakeSixteenBitProductsOfMoreThanEightTokens) {
  EXPECT_FALSE(use_tensor_cores(DType::bf16, 1));
  EXPECT_FALSE(use_tensor_cores(DType::bf16, kRowProductTokens));
  EXPECT_TRUE(use_tensor_cores(DType::bf16, kRowProductTokens + 1));
  EXPECT_TRUE(use_tensor_cores(DType::f16, 512));
  EXPECT_FALSE(use_tensor_cores(DType::f32, 512));
}

// One sequence of an attention test: its cache of n_kv positions in pages that lie out of order
// in one device buffer, its last n_q positions as queries (rows padded like the fused qkv
// buffer), and what the reference makes of them.
struct AttentionCase {
  std::int64_t n_heads, n_kv_heads, head_dim, n_kv, n_q;
  DType kv_type;
};
struct PagedSequence {
  std::int64_t q_stride = 0;
  DeviceArray<std::uint8_t> pool;
  DeviceArray<const void*> k_pages, v_pages;
  DeviceArray<float> q, out;
  DeviceArray<std::int32_t> positions;
  std::vector<float> expected;
};
constexpr std::int64_t kTestPageRows = 32;

PagedSequence make_sequence(const AttentionCase& c, std::mt19937& rng) {
  std::normal_distribution<float> dist(0.0f, 1.0f);
  auto random = [&](std::size_t n) {
    std::vector<float> v(n);
    for (float& x : v) x = dist(rng);
    return v;
  };
  PagedSequence seq;
  const std::int64_t kv_width = c.n_kv_heads * c.head_dim;
  const std::int64_t n_pages = (c.n_kv + kTestPageRows - 1) / kTestPageRows;
  const TypedValues k = typed(c.kv_type, random(static_cast<std::size_t>(c.n_kv * kv_width)));
  const TypedValues v = typed(c.kv_type, random(static_cast<std::size_t>(c.n_kv * kv_width)));
  const std::size_t element = c.kv_type == DType::f32 ? 4 : 2;
  const std::size_t page_bytes = static_cast<std::size_t>(kTestPageRows * kv_width) * element;
  // Page p of keys at slot 2 * (n_pages - 1 - p), of values at the slot after it.
  std::vector<std::uint8_t> pool(2 * n_pages * page_bytes, 0);
  const std::size_t kv_bytes = k.bytes.size();
  for (std::int64_t p = 0; p < n_pages; ++p) {
    const std::size_t from = p * page_bytes;
    const std::size_t n = std::min(page_bytes, kv_bytes - from);
    const std::size_t slot = 2 * static_cast<std::size_t>(n_pages - 1 - p);
    std::memcpy(pool.data() + slot * page_bytes, k.bytes.data() + from, n);
    std::memcpy(pool.data() + (slot + 1) * page_bytes, v.bytes.data() + from, n);
  }
  seq.pool = to_device(pool);
  std::vector<const void*> k_pages, v_pages;
  for (std::int64_t p = 0; p < n_pages; ++p) {
    const std::size_t slot = 2 * static_cast<std::size_t>(n_pages - 1 - p);
    k_pages.push_back(seq.pool.data() + slot * page_bytes);
    v_pages.push_back(seq.pool.data() + (slot + 1) * page_bytes);
  }
  seq.k_pages = to_device(k_pages);
  seq.v_pages = to_device(v_pages);
  seq.q_stride = c.n_heads * c.head_dim + 2 * kv_width;
  const auto q = random(static_cast<std::size_t>(c.n_q * seq.q_stride));
  std::vector<std::int32_t> positions;
  for (std::int64_t i = 0; i < c.n_q; ++i)
    positions.push_back(static_cast<std::int32_t>(c.n_kv - c.n_q + i));
  const AttentionShape shape{c.n_q, c.n_kv, c.n_heads, c.n_kv_heads, c.head_dim, seq.q_stride, 0};
  seq.expected.resize(static_cast<std::size_t>(c.n_q * c.n_heads * c.head_dim));
  attention_reference(q.data(), k.values.data(), v.values.data(), positions.data(), shape,
                      seq.expected.data());
  seq.q = to_device(q);
  seq.positions = to_device(positions);
  seq.out = DeviceArray<float>(seq.expected.size());
  return seq;
}

// The queries of the sequences, in order, as the launch takes them.
std::vector<AttentionQuery> queries_of(const std::vector<AttentionCase>& cases,
                                       const std::vector<PagedSequence>& seqs) {
  std::vector<AttentionQuery> queries;
  for (std::size_t s = 0; s < seqs.size(); ++s)
    for (std::int64_t i = 0; i < cases[s].n_q; ++i)
      queries.push_back({seqs[s].q.data() + i * seqs[s].q_stride,
                         seqs[s].out.data() + i * cases[s].n_heads * cases[s].head_dim,
                         seqs[s].k_pages.data(), seqs[s].v_pages.data(),
                         seqs[s].positions.data() + i});
  return queries;
}

void run_attention(const std::vector<AttentionCase>& cases, std::vector<PagedSequence>& seqs) {
  const auto queries = to_device(queries_of(cases, seqs));
  std::int64_t max_keys = 0;
  for (const AttentionCase& c : cases) max_keys = std::max(max_keys, c.n_kv);
  const AttentionCase& c = cases.front();
  attention_queries(queries.data(), static_cast<std::int64_t>(queries.size()), max_keys,
                    {c.n_heads, c.n_kv_heads, c.head_dim, kTestPageRows, c.kv_type}, nullptr);
  synchronize();
}

TEST_F(CudaOps, PagedAttentionMatchesReference) {
  for (const AttentionCase& c :
       {AttentionCase{12, 2, 128, 1, 1, DType::bf16},
        AttentionCase{12, 2, 128, 1000, 1, DType::bf16}, AttentionCase{4, 4, 64, 77, 5, DType::f32},
        AttentionCase{6, 2, 80, 300, 3, DType::f16}, AttentionCase{2, 1, 256, 65, 2, DType::bf16},
        // split into runs of keys (decode over a long cache): 17 runs, the last one short,
        // and two queries whose last runs differ
        AttentionCase{12, 2, 128, 4100, 2, DType::bf16},
        // split, with the first 17 queries' keys all in the first run (the second run has
        // none of them)
        AttentionCase{4, 4, 64, 300, 60, DType::f32}}) {
    std::vector<PagedSequence> seqs;
    seqs.push_back(make_sequence(c, rng_));
    run_attention({c}, seqs);
    EXPECT_LT(relative_error(download(seqs[0].out), seqs[0].expected), 1e-5)
        << c.n_heads << "/" << c.n_kv_heads << " heads of " << c.head_dim << ", " << c.n_kv
        << " positions, " << dtype_cli_name(c.kv_type);
  }
}

// Several sequences in one launch, as a serving batch's decode step and a prompt beside it: each
// query reads its own sequence's pages, long ones split, short ones not.
TEST_F(CudaOps, AttentionOfSeveralSequencesInOneLaunch) {
  const std::vector<AttentionCase> cases = {{12, 2, 128, 1000, 1, DType::bf16},
                                            {12, 2, 128, 5, 1, DType::bf16},
                                            {12, 2, 128, 40, 17, DType::bf16},
                                            {12, 2, 128, 2049, 1, DType::bf16}};
  std::vector<PagedSequence> seqs;
  for (const AttentionCase& c : cases) seqs.push_back(make_sequence(c, rng_));
  run_attention(cases, seqs);
  for (std::size_t s = 0; s < seqs.size(); ++s)
    EXPECT_LT(relative_error(download(seqs[s].out), seqs[s].expected), 1e-5)
        << "sequence " << s << " of " << cases[s].n_kv << " positions";
}

TEST_F(CudaOps, AttentionRefusesHeadsItCannotHold) {
  EXPECT_THROW(attention_queries(nullptr, 1, 1, {2, 1, kMaxHeadDim + 32, 32, DType::bf16}, nullptr),
               Error);
  EXPECT_THROW(attention_queries(nullptr, 1, 1, {3, 2, 64, 32, DType::bf16}, nullptr), Error);
}

}  // namespace
}  // namespace r1::ops::cuda
