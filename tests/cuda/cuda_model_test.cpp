// The whole model on the GPU against the scalar reference backend on the random checkpoints:
// logits of every position of a prompt, then decode steps, and two sequences in one batch equal
// to each alone (continuous batching). Skipped, with the probe's reason, where there is no GPU.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "model/loaded_model.h"
#include "model/random_checkpoint.h"
#include "ops/cuda/cuda_device.h"
#include "r1/error.h"
#include "test_paths.h"

namespace r1::model {
namespace {

double relative_error(const std::vector<float>& a, const std::vector<float>& b) {
  double diff = 0.0, norm = 0.0;
  for (std::size_t i = 0; i < b.size(); ++i) {
    diff += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
    norm += double(b[i]) * b[i];
  }
  return std::sqrt(diff / norm);
}

struct Models {
  std::filesystem::path folder;
  std::unique_ptr<LoadedModel> gpu, reference;
};

Models load_both(const std::string& preset, io::DType dtype) {
  Models m;
  m.folder = test::scratch_dir("cuda_model_" + preset);
  std::filesystem::remove_all(m.folder);
  write_random_checkpoint({*parse_random_preset(preset), dtype, 11, m.folder});
  LoadOptions options;
  options.backend = BackendKind::cuda;
  m.gpu = load_model(m.folder, options);
  options.backend = BackendKind::reference;
  m.reference = load_model(m.folder, options);
  return m;
}

// Logits of a 40-token prompt at every position and of 3 decode steps after it.
std::vector<float> prompt_and_decode(LoadedModel& model, DType kv_type) {
  KvCache cache(model.config, 1, 64, kv_type, 0, model.transformer->backend().memory());
  Batch prompt;
  for (std::int32_t i = 0; i < 40; ++i) prompt.add(17 + 5 * i, i, 0, true);
  std::vector<float> all, logits;
  model.transformer->forward(prompt, cache, logits);
  all = logits;
  for (std::int32_t step = 0; step < 3; ++step) {
    Batch next;
    next.add(1000 + step, 40 + step, 0, true);
    model.transformer->forward(next, cache, logits);
    all.insert(all.end(), logits.begin(), logits.end());
  }
  return all;
}

class CudaModel : public ::testing::TestWithParam<std::tuple<std::string, io::DType>> {
 protected:
  void SetUp() override {
    const ops::cuda::DeviceProbe& probe = ops::cuda::probe_devices();
    if (!probe.usable()) GTEST_SKIP() << "no CUDA device to test on: " << probe.problem;
  }
};

TEST_P(CudaModel, LogitsMatchTheReferenceBackend) {
  Models m = load_both(std::get<0>(GetParam()), std::get<1>(GetParam()));
  const DType kv = std::get<1>(GetParam()) == io::DType::f32 ? DType::f32 : DType::bf16;
  const auto expected = prompt_and_decode(*m.reference, kv);
  const auto got = prompt_and_decode(*m.gpu, kv);
  ASSERT_EQ(got.size(), expected.size());
  // bf16: the 40-token prompt's products run on tensor cores with bf16 activations (as
  // transformers computes a bf16 model; the kernel itself is held to 1e-5 on rounded activations
  // in cuda_ops_test), which moves the logits by ~1e-3 per product.
  EXPECT_LT(relative_error(got, expected), kv == DType::f32 ? 1e-5 : 1e-2);
  std::filesystem::remove_all(m.folder);
}

TEST_P(CudaModel, TwoSequencesInOneBatchEqualEachAlone) {
  Models m = load_both(std::get<0>(GetParam()), std::get<1>(GetParam()));
  LoadedModel& model = *m.gpu;
  ops::Memory& memory = model.transformer->backend().memory();
  const std::int64_t vocab = model.config.vocab_size;
  auto alone = [&](std::int32_t first_token, std::int32_t n) {
    KvCache cache(model.config, 1, 64, DType::f32, 0, memory);
    Batch batch;
    for (std::int32_t i = 0; i < n; ++i) batch.add(first_token + i, i, 0, i + 1 == n);
    std::vector<float> logits;
    model.transformer->forward(batch, cache, logits);
    return logits;
  };
  KvCache cache(model.config, 2, 64, DType::f32, 0, memory);
  Batch both;
  for (std::int32_t i = 0; i < 20; ++i) both.add(300 + i, i, 0, i == 19);
  for (std::int32_t i = 0; i < 12; ++i) both.add(900 + i, i, 1, i == 11);
  std::vector<float> logits;
  model.transformer->forward(both, cache, logits);
  const auto a = alone(300, 20), b = alone(900, 12);
  const std::vector<float> first(logits.begin(), logits.begin() + vocab);
  const std::vector<float> second(logits.begin() + vocab, logits.end());
  EXPECT_LT(relative_error(first, a), 1e-6);
  EXPECT_LT(relative_error(second, b), 1e-6);
  std::filesystem::remove_all(m.folder);
}

INSTANTIATE_TEST_SUITE_P(
    Checkpoints, CudaModel,
    testing::Values(std::make_tuple("qwen2-tiny", io::DType::f32),
                    std::make_tuple("qwen2-tiny", io::DType::bf16),
                    std::make_tuple("llama-tiny", io::DType::bf16)),
    [](const auto& info) {
      std::string name = std::get<0>(info.param) +
                         (std::get<1>(info.param) == io::DType::f32 ? "_f32" : "_bf16");
      std::replace(name.begin(), name.end(), '-', '_');
      return name;
    });

// A q8_0 model (quantized at load) on the GPU against the reference backend. The GPU multiplies
// the dequantized weights with fp32 activations while the reference, as ggml, quantizes the
// activations to q8_0 too: ~1e-2 apart on the logits; a wrong block or scale is far more.
TEST(CudaModelQ8_0, LogitsMatchTheReferenceBackend) {
  const ops::cuda::DeviceProbe& probe = ops::cuda::probe_devices();
  if (!probe.usable()) GTEST_SKIP() << "no CUDA device to test on: " << probe.problem;
  const auto folder = test::scratch_dir("cuda_model_q8_0");
  std::filesystem::remove_all(folder);
  write_random_checkpoint({*parse_random_preset("qwen2-tiny"), io::DType::bf16, 11, folder});
  LoadOptions options;
  options.quantize = DType::q8_0;
  options.backend = BackendKind::cuda;
  const auto gpu = load_model(folder, options);
  options.backend = BackendKind::reference;
  const auto reference = load_model(folder, options);
  const auto expected = prompt_and_decode(*reference, DType::f16);
  const auto got = prompt_and_decode(*gpu, DType::f16);
  ASSERT_EQ(got.size(), expected.size());
  EXPECT_LT(relative_error(got, expected), 5e-2);
  std::filesystem::remove_all(folder);
}

// The DeepSeek-R1-Distill-Qwen-1.5B shape (random bf16 weights, 3.5 GB) on the GPU against the
// threaded CPU backend: prompt logits on both sides' matrix units (bf16 activations) and decode
// steps. Heavy (writes the checkpoint, a minute or two), so only where R1_CUDA_LARGE_TESTS=1
// asks for it: tools/gpu_check.sh does.
TEST(CudaModelLarge, TheOnePointFiveBShapeMatchesTheCpuBackend) {
  const ops::cuda::DeviceProbe& probe = ops::cuda::probe_devices();
  if (!probe.usable()) GTEST_SKIP() << "no CUDA device to test on: " << probe.problem;
  const char* large = std::getenv("R1_CUDA_LARGE_TESTS");
  if (large == nullptr || std::string(large) != "1")
    GTEST_SKIP() << "set R1_CUDA_LARGE_TESTS=1 to run it (tools/gpu_check.sh does)";
  const auto folder = test::scratch_dir("cuda_model_1_5b");
  std::filesystem::remove_all(folder);
  write_random_checkpoint(
      {*parse_random_preset("deepseek-r1-distill-qwen-1.5b"), io::DType::bf16, 5, folder});
  LoadOptions options;
  options.backend = BackendKind::cuda;
  const auto gpu = load_model(folder, options);
  options.backend = BackendKind::cpu;
  const auto cpu = load_model(folder, options);
  const auto expected = prompt_and_decode(*cpu, DType::bf16);
  const auto got = prompt_and_decode(*gpu, DType::bf16);
  ASSERT_EQ(got.size(), expected.size());
  EXPECT_LT(relative_error(got, expected), 2e-2);
  std::filesystem::remove_all(folder);
}

// Without a GPU, asking for one is a clear error at load time, not a crash later.
TEST(CudaModelLoad, AskingForAMissingGpuFailsAtLoadSayingWhy) {
  const ops::cuda::DeviceProbe& probe = ops::cuda::probe_devices();
  if (probe.usable()) GTEST_SKIP() << "this machine has a GPU";
  const auto folder = test::scratch_dir("cuda_model_missing_gpu");
  std::filesystem::remove_all(folder);
  write_random_checkpoint({*parse_random_preset("qwen2-tiny"), io::DType::bf16, 11, folder});
  LoadOptions options;
  options.backend = BackendKind::cuda;
  try {
    load_model(folder, options);
    ADD_FAILURE() << "loaded without a GPU";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::unsupported);
    EXPECT_NE(std::string(e.what()).find(probe.problem), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(folder);
}

// A weight type the GPU backend cannot compute with is refused at load, saying which and what to
// do, before any GPU is asked for (so on every machine).
TEST(CudaModelLoad, AWeightTypeItCannotComputeWithIsRefusedAtLoad) {
  const auto folder = test::scratch_dir("cuda_model_q4_0");
  std::filesystem::remove_all(folder);
  write_random_checkpoint({*parse_random_preset("qwen2-tiny"), io::DType::bf16, 11, folder});
  LoadOptions options;
  options.backend = BackendKind::cuda;
  options.quantize = DType::q4_0;
  try {
    load_model(folder, options);
    ADD_FAILURE() << "a q4_0 model loaded for the GPU";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::unsupported);
    const std::string message = e.what();
    EXPECT_NE(message.find("q4_0"), std::string::npos) << message;
    EXPECT_NE(message.find("q8_0"), std::string::npos) << message;
    EXPECT_NE(message.find("--device cpu"), std::string::npos) << message;
  }
  std::filesystem::remove_all(folder);
}

}  // namespace
}  // namespace r1::model
