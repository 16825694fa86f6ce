// --device auto (BackendKind::automatic): the GPU only where this build has the CUDA kernels, a
// GPU is usable and its backend computes with every weight type; otherwise the CPU, saying why.
#include <gtest/gtest.h>

#include <filesystem>

#include "model/loaded_model.h"
#include "model/random_checkpoint.h"
#include "test_paths.h"
#if R1_HAVE_CUDA
#include "ops/cuda/cuda_device.h"
#endif

namespace r1::model {
namespace {

bool gpu_usable() {
#if R1_HAVE_CUDA
  return ops::cuda::probe_devices().usable();
#else
  return false;
#endif
}

std::unique_ptr<LoadedModel> load_automatic(const std::string& name,
                                            std::optional<DType> quantize) {
  const auto folder = test::scratch_dir(name);
  std::filesystem::remove_all(folder);
  write_random_checkpoint({*parse_random_preset("qwen2-tiny"), io::DType::bf16, 3, folder});
  LoadOptions options;
  options.backend = BackendKind::automatic;
  options.quantize = quantize;
  auto model = load_model(folder, options);
  std::filesystem::remove_all(folder);
  return model;
}

TEST(AutomaticBackend, TakesTheGpuWhereOneIsUsableElseTheCpuSayingWhy) {
  const auto model = load_automatic("automatic_bf16", std::nullopt);
  const std::string backend = model->transformer->backend().describe();
  if (gpu_usable()) {
    EXPECT_EQ(backend.rfind("cuda:0", 0), 0u) << backend;
    EXPECT_EQ(model->backend_choice.rfind("cuda:0", 0), 0u) << model->backend_choice;
  } else {
    EXPECT_EQ(backend.rfind("cpu", 0), 0u) << backend;
    EXPECT_EQ(model->backend_choice.rfind("the CPU (", 0), 0u) << model->backend_choice;
#if R1_HAVE_CUDA
    EXPECT_NE(model->backend_choice.find(ops::cuda::probe_devices().problem), std::string::npos)
        << model->backend_choice;
#else
    EXPECT_NE(model->backend_choice.find("without the CUDA kernels"), std::string::npos);
#endif
  }
}

TEST(AutomaticBackend, AWeightTypeTheGpuCannotTakeStaysOnTheCpu) {
  const auto model = load_automatic("automatic_q4_0", DType::q4_0);
  const std::string backend = model->transformer->backend().describe();
  EXPECT_EQ(backend.rfind("cpu", 0), 0u) << backend;
  if (gpu_usable()) {
    EXPECT_NE(model->backend_choice.find("q4_0"), std::string::npos) << model->backend_choice;
  }
}

TEST(AutomaticBackend, AnExplicitBackendSaysNothing) {
  const auto folder = test::scratch_dir("automatic_explicit");
  std::filesystem::remove_all(folder);
  write_random_checkpoint({*parse_random_preset("qwen2-tiny"), io::DType::bf16, 3, folder});
  const auto model = load_model(folder, LoadOptions{});
  EXPECT_TRUE(model->backend_choice.empty());
  std::filesystem::remove_all(folder);
}

}  // namespace
}  // namespace r1::model
