#include "ops/cuda/cuda_device.h"

#include <cuda_runtime_api.h>

#include "r1/error.h"

namespace r1::ops::cuda {
namespace {

DeviceProbe look() {
  DeviceProbe probe;
  probe.runtime_version = CUDART_VERSION;
  cudaDriverGetVersion(&probe.driver_version);
  const std::string built = "r1 was built with CUDA " + cuda_version_text(probe.runtime_version);
  if (probe.driver_version == 0) {
    probe.problem =
        "no NVIDIA driver was found (libcuda.so.1 is not installed or not loadable); install the "
        "NVIDIA driver (" +
        built + "), in Docker run the container with --gpus all";
    return probe;
  }
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  // (A driver of the same major version but older minor one still works: CUDA minor-version
  // compatibility; the runtime says when it does not.)
  if (status == cudaErrorInsufficientDriver) {
    probe.problem = "the NVIDIA driver supports CUDA " + cuda_version_text(probe.driver_version) +
                    " but " + built + "; update the driver";
    cudaGetLastError();
    return probe;
  }
  if (status != cudaSuccess || count == 0) {
    probe.problem =
        std::string("no CUDA device is visible (") +
        (status == cudaSuccess ? "the driver reports none" : cudaGetErrorString(status)) +
        "; check nvidia-smi and CUDA_VISIBLE_DEVICES)";
    cudaGetLastError();
    return probe;
  }
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp props{};
    if (cudaGetDeviceProperties(&props, i) != cudaSuccess) continue;
    probe.devices.push_back(DeviceInfo{i, props.name, props.major, props.minor,
                                       props.totalGlobalMem, props.multiProcessorCount});
  }
  if (probe.devices.empty()) probe.problem = "no CUDA device answered; check nvidia-smi";
  return probe;
}

}  // namespace

const DeviceProbe& probe_devices() {
  static const DeviceProbe probe = look();
  return probe;
}

std::string cuda_version_text(int version) {
  return std::to_string(version / 1000) + "." + std::to_string(version % 1000 / 10);
}

const DeviceInfo& select_device(std::optional<int> index) {
  const DeviceProbe& probe = probe_devices();
  if (!probe.usable())
    throw Error(ErrorCode::unsupported,
                "--device cuda: " + probe.problem + "; --device cpu computes on the CPU");
  const int wanted = index.value_or(0);
  for (const DeviceInfo& device : probe.devices) {
    if (device.index != wanted) continue;
    check_cuda(cudaSetDevice(device.index), "cudaSetDevice");
    return device;
  }
  throw Error(ErrorCode::invalid_argument,
              "--device cuda:" + std::to_string(wanted) + ": this machine has " +
                  std::to_string(probe.devices.size()) + " CUDA device(s), numbered from 0");
}

void check_cuda(int status, const char* what) {
  if (status == cudaSuccess) return;
  const auto error = static_cast<cudaError_t>(status);
  throw Error(ErrorCode::io_error, std::string(what) + " failed: " + cudaGetErrorName(error) +
                                       " (" + cudaGetErrorString(error) + ")");
}

}  // namespace r1::ops::cuda
