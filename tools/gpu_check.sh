#!/usr/bin/env bash
# The GPU check, one command on a machine with an NVIDIA GPU (run by people, or by a session lent
# such a machine; CI has no GPU): builds r1 with the CUDA kernels for this machine's GPU only
# (R1_CUDA_ARCHITECTURES=native, much faster than the fat binary), runs the GPU tests
# (tests/cuda: each kernel against its scalar reference, the whole model against the reference
# backend) and prints what r1 devices sees.
#   tools/gpu_check.sh [BUILD_DIR]      (default build-gpu)
# The benchmark against transformers is not written yet (README "CUDA"); this script grows with
# it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build-gpu}"
jobs="$(nproc)"

echo "== GPU"
nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv,noheader \
  || echo "nvidia-smi failed: no driver or no GPU on this machine"

echo "== build ($build)"
make -C "$root" build-deps >/dev/null
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DR1_CUDA=ON \
  -DR1_CUDA_ARCHITECTURES=native -DR1_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j "$jobs" --target r1 r1_cuda_tests

echo "== r1 devices"
"$build/r1" devices

echo "== GPU tests"
status=0
"$build/tests/r1_cuda_tests" || status=$?
if grep -q "SKIPPED" <("$build/tests/r1_cuda_tests" --gtest_brief=1 2>&1); then
  echo "some GPU tests were skipped: this machine's GPU could not be used (see above)"
  status=1
fi
exit "$status"
