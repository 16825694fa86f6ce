// The scalar reference ops on small cases worked out by hand (the arithmetic is in the comments).
// They are the oracle for every fast kernel; the model-level parity with transformers is tested
// on whole checkpoints.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "core/half.h"
#include "ops/reference_ops.h"
#include "ops/rope.h"

namespace r1::ops {
namespace {

TEST(MatmulReference, LinearWithBiasForEveryWeightType) {
  // x = [1, 2]; W = [[1, 0], [0, 1], [1, 1]] -> [1, 2, 3]; + bias [0.5, 0, -1] -> [1.5, 2, 2]
  const std::vector<float> x = {1, 2};
  const std::vector<float> w32 = {1, 0, 0, 1, 1, 1};
  std::vector<std::uint16_t> w16, wbf;
  for (float v : w32) {
    w16.push_back(f32_to_f16(v));
    wbf.push_back(f32_to_bf16(v));
  }
  const std::vector<float> bias = {0.5f, 0, -1};
  for (const auto& [type, data] : {std::pair<DType, const void*>{DType::f32, w32.data()},
                                   {DType::f16, w16.data()},
                                   {DType::bf16, wbf.data()}}) {
    std::vector<float> y(3);
    matmul_reference(x.data(), 1, WeightMatrix{type, data, 3, 2}, nullptr, y.data());
    EXPECT_EQ(y, (std::vector<float>{1, 2, 3}));
    matmul_reference(x.data(), 1, WeightMatrix{type, data, 3, 2}, bias.data(), y.data());
    EXPECT_EQ(y, (std::vector<float>{1.5f, 2, 2}));
  }
}

TEST(MatmulReference, EachTokenRowIsIndependent) {
  // Two tokens [1, 0] and [0, 1] through W = [[2, 3]] give [2] and [3].
  const std::vector<float> x = {1, 0, 0, 1};
  const std::vector<float> w = {2, 3};
  std::vector<float> y(2);
  matmul_reference(x.data(), 2, WeightMatrix{DType::f32, w.data(), 1, 2}, nullptr, y.data());
  EXPECT_EQ(y, (std::vector<float>{2, 3}));
}

TEST(RmsNormReference, ScalesByRootMeanSquare) {
  // x = [3, 4]: mean(x^2) = 12.5, rsqrt = 0.2828427; times weight [1, 2]:
  // [3 * 0.2828427, 4 * 0.2828427 * 2] = [0.8485281, 2.2627417]
  const std::vector<float> x = {3, 4};
  const std::vector<float> weight = {1, 2};
  std::vector<float> out(2);
  rmsnorm_reference(x.data(), weight.data(), 1, 2, 0.0f, out.data());
  EXPECT_NEAR(out[0], 0.8485281f, 1e-6);
  EXPECT_NEAR(out[1], 2.2627417f, 1e-6);
  // eps enters under the root: x = [0, 0] with eps 1 gives 0, not NaN.
  const std::vector<float> zeros = {0, 0};
  rmsnorm_reference(zeros.data(), weight.data(), 1, 2, 1.0f, out.data());
  EXPECT_EQ(out, (std::vector<float>{0, 0}));
}

TEST(SwigluReference, SiluOfGateTimesUp) {
  // gate_up = [gate 0, gate 1 | up 5, up 2]: silu(0) * 5 = 0; silu(1) * 2 = 2 / (1 + e^-1)
  // = 1.4621172.
  const std::vector<float> gate_up = {0, 1, 5, 2};
  std::vector<float> out(2);
  swiglu_reference(gate_up.data(), gate_up.data() + 2, 4, 1, 2, out.data());
  EXPECT_EQ(out[0], 0.0f);
  EXPECT_NEAR(out[1], 1.4621172f, 1e-6);
}

TEST(AttentionReference, CausalMaskAndAveraging) {
  // head_dim 2, one head. Keys equal, so the softmax is uniform over the visible rows.
  // v rows: [1, 0] and [0, 1]. Query at position 0 sees only row 0 -> [1, 0];
  // query at position 1 sees both -> [0.5, 0.5].
  const std::vector<float> q = {1, 1, 1, 1};
  const std::vector<float> k = {1, 0, 1, 0};
  const std::vector<float> v = {1, 0, 0, 1};
  const std::vector<std::int32_t> positions = {0, 1};
  std::vector<float> out(4);
  attention_reference(q.data(), k.data(), v.data(), positions.data(), {2, 2, 1, 1, 2}, out.data());
  EXPECT_NEAR(out[0], 1.0f, 1e-6);
  EXPECT_NEAR(out[1], 0.0f, 1e-6);
  EXPECT_NEAR(out[2], 0.5f, 1e-6);
  EXPECT_NEAR(out[3], 0.5f, 1e-6);
}

TEST(AttentionReference, SoftmaxWeightsAndGroupedHeads) {
  // One query, two kv rows, head_dim 1 (scale 1): q = 1, k = [0, ln 3] -> weights [1/4, 3/4];
  // v = [4, 8] -> 1 + 6 = 7. Two query heads share the single kv head (GQA), both give 7.
  const std::vector<float> q = {1, 1};
  const std::vector<float> k = {0, std::log(3.0f)};
  const std::vector<float> v = {4, 8};
  const std::vector<std::int32_t> positions = {1};
  std::vector<float> out(2);
  attention_reference(q.data(), k.data(), v.data(), positions.data(), {1, 2, 2, 1, 1}, out.data());
  EXPECT_NEAR(out[0], 7.0f, 1e-5);
  EXPECT_NEAR(out[1], 7.0f, 1e-5);
}

TEST(Rope, InverseFrequencies) {
  // head_dim 4, theta 10000: [10000^0, 10000^-0.5] = [1, 0.01]
  const std::vector<float> f = rope_inv_freq(4, 10000.0, {});
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0], 1.0f);
  EXPECT_NEAR(f[1], 0.01f, 1e-9);
  // linear scaling divides by the factor
  RopeScaling linear;
  linear.kind = RopeScaling::Kind::linear;
  linear.factor = 4;
  EXPECT_NEAR(rope_inv_freq(4, 10000.0, linear)[1], 0.0025f, 1e-9);
}

TEST(Rope, Llama3ScalingRegions) {
  // factor 8, low 1, high 4, original context 8192: wavelengths above 8192 are divided by 8,
  // below 2048 kept, in between interpolated.
  RopeScaling s;
  s.kind = RopeScaling::Kind::llama3;
  s.factor = 8;
  s.low_freq_factor = 1;
  s.high_freq_factor = 4;
  s.original_max_position_embeddings = 8192;
  // theta 1e8, d 4: inv_freq [1, 1e-4]; wavelength of 1e-4 = 62832 > 8192 -> 1.25e-5.
  std::vector<float> f = rope_inv_freq(4, 1e8, s);
  EXPECT_EQ(f[0], 1.0f);  // wavelength 6.28 < 2048: kept
  EXPECT_NEAR(f[1], 1.25e-5f, 1e-10);
  // theta 1e6: inv_freq [1, 1e-3]; wavelength 6283.19 is medium:
  // smooth = (8192 / 6283.19 - 1) / 3 = 0.1012658;
  // (1 - smooth) * 1e-3 / 8 + smooth * 1e-3 = 2.1360754e-4
  f = rope_inv_freq(4, 1e6, s);
  EXPECT_NEAR(f[1], 2.1360754e-4f, 1e-9);
}

TEST(Rope, RotateHalfLayout) {
  // head_dim 2 (inv_freq [1]), position 1 rotates by 1 radian: [1, 0] -> [cos 1, sin 1].
  std::vector<float> x = {1, 0};
  const std::vector<float> inv_freq = {1.0f};
  const std::int32_t position = 1;
  rope_reference(x.data(), &position, 1, 1, 2, inv_freq.data());
  EXPECT_NEAR(x[0], std::cos(1.0f), 1e-7);
  EXPECT_NEAR(x[1], std::sin(1.0f), 1e-7);
  // head_dim 4: pairs are (0, 2) and (1, 3), not adjacent elements. Position 0 is the identity.
  std::vector<float> y = {1, 2, 3, 4};
  const std::int32_t zero = 0;
  const std::vector<float> f4 = rope_inv_freq(4, 10000.0, {});
  rope_reference(y.data(), &zero, 1, 1, 4, f4.data());
  EXPECT_EQ(y, (std::vector<float>{1, 2, 3, 4}));
  // position 2, pair (0, 2) with angle 2: [1, _, 0, _] -> [cos 2, _, sin 2, _]
  std::vector<float> z = {1, 0, 0, 0};
  const std::int32_t two = 2;
  rope_reference(z.data(), &two, 1, 1, 4, f4.data());
  EXPECT_NEAR(z[0], std::cos(2.0f), 1e-7);
  EXPECT_NEAR(z[2], std::sin(2.0f), 1e-7);
  EXPECT_EQ(z[1], 0.0f);
  EXPECT_EQ(z[3], 0.0f);
}

TEST(Rope, InterleavedLayoutEqualsRotateHalfOnPermutedRows) {
  // llama.cpp's llama GGUF rows of a head are HF rows [0, d/2, 1, d/2 + 1, ...]: rotating adjacent
  // pairs of the permuted head must give the permuted rotate-half result.
  const std::vector<float> head = {0.5f, -1.0f, 2.0f, 0.25f, 1.5f, -0.75f, 3.0f, -2.0f};
  const std::vector<float> inv_freq = rope_inv_freq(8, 10000.0, {});
  const std::int32_t position = 7;
  std::vector<float> half = head;
  rope_reference(half.data(), &position, 1, 1, 8, inv_freq.data(), RopeLayout::rotate_half);
  std::vector<float> permuted(8);
  for (int i = 0; i < 4; ++i) {
    permuted[2 * i] = head[i];
    permuted[2 * i + 1] = head[i + 4];
  }
  rope_reference(permuted.data(), &position, 1, 1, 8, inv_freq.data(), RopeLayout::interleaved);
  for (int i = 0; i < 4; ++i) {
    EXPECT_FLOAT_EQ(permuted[2 * i], half[i]);
    EXPECT_FLOAT_EQ(permuted[2 * i + 1], half[i + 4]);
  }
}

}  // namespace
}  // namespace r1::ops
