// r1 devices: what this machine offers r1 — the CPU's cores and the kernels chosen for it, and
// the CUDA GPUs (or, in words, why there are none).
#include <cstdio>
#include <iostream>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/cpu_info.h"
#include "ops/cpu_backend.h"
#if R1_HAVE_CUDA
#include "ops/cuda/cuda_device.h"
#endif

namespace r1::cli {
namespace {

void print_cuda() {
#if R1_HAVE_CUDA
  const ops::cuda::DeviceProbe& probe = ops::cuda::probe_devices();
  std::printf("cuda: built with CUDA %s; driver: %s\n",
              ops::cuda::cuda_version_text(probe.runtime_version).c_str(),
              probe.driver_version == 0
                  ? "none"
                  : ("CUDA " + ops::cuda::cuda_version_text(probe.driver_version)).c_str());
  for (const ops::cuda::DeviceInfo& d : probe.devices) {
    std::printf("  cuda:%d  %s, sm_%d%d, %d SMs, %.1f GiB\n", d.index, d.name.c_str(),
                d.compute_major, d.compute_minor, d.multiprocessors,
                static_cast<double>(d.total_bytes) / (1024.0 * 1024.0 * 1024.0));
  }
  if (!probe.usable()) std::printf("  no GPU: %s\n", probe.problem.c_str());
  std::printf(
      "  (--device cuda computes there with f32/f16/bf16/q8_0 weights; not yet checked on a GPU)\n");
#else
  std::printf(
      "cuda: this build has no CUDA kernels (configure with the CUDA toolkit installed, "
      "-DR1_CUDA=ON)\n");
#endif
}

}  // namespace

int run_devices(int argc, char** argv, int first) {
  Args args("devices", {});
  if (!args.parse(argc, argv, first)) {
    std::cout << args.help_text(
        "Lists the devices r1 can compute on: the CPU (physical cores, instruction sets, the "
        "kernels chosen) and the CUDA GPUs, or why there are none.");
    return 0;
  }
  const auto backend = ops::make_cpu_backend();
  std::printf("cpu: %d physical cores; %s\n  %s\n", physical_core_count(),
              cpu_features().describe().c_str(), backend->describe().c_str());
  print_cuda();
  return 0;
}

}  // namespace r1::cli
