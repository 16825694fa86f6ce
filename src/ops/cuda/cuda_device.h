// Finding and choosing an NVIDIA GPU at run time. The program is built against the CUDA runtime
// linked statically, so it starts on machines without a driver; what is missing there (no
// driver, a driver older than the toolkit, no device, a bad index) is reported here in words,
// with what to do.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace r1::ops::cuda {

struct DeviceInfo {
  int index = 0;
  std::string name;       // "NVIDIA H200"
  int compute_major = 0;  // 9 for sm_90
  int compute_minor = 0;
  std::size_t total_bytes = 0;  // global memory
  int multiprocessors = 0;
};

/// What the machine offers: the devices, or why there are none.
struct DeviceProbe {
  std::vector<DeviceInfo> devices;
  int driver_version = 0;   // CUDA version the driver supports, 12040 = 12.4; 0 = no driver
  int runtime_version = 0;  // CUDA version this program was built with
  std::string problem;      // empty when devices is not empty: why no device can be used

  bool usable() const { return !devices.empty(); }
};

/// Looks once (later calls return the same answer).
const DeviceProbe& probe_devices();

/// "12.4" for 12040.
std::string cuda_version_text(int version);

/// The device `index` (0 when unset), made current on this thread. Throws Error(unsupported) with
/// the probe's problem when there is no usable device, Error(invalid_argument) for an index the
/// machine does not have.
const DeviceInfo& select_device(std::optional<int> index);

/// Throws Error(io_error) naming `what` and the CUDA error when `status` is not success
/// (cudaError_t passed as int so that plain C++ callers need no CUDA header).
void check_cuda(int status, const char* what);

}  // namespace r1::ops::cuda
