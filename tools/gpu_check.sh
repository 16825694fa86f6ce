#!/usr/bin/env bash
# The GPU check, one command on a machine with an NVIDIA GPU (run by people, or by a session lent
# such a machine; CI has no GPU):
#   1. r1 and the GPU tests: from build/gpu-pack/r1-gpu.tar.xz when it is there (made beforehand
#      by tools/gpu_pack.sh on a Debian machine, for GPU machines that cannot install packages),
#      else built here for this machine's GPU only (R1_CUDA_ARCHITECTURES=native);
#   2. r1 devices;
#   3. the GPU tests (tests/cuda: each kernel against its scalar reference, the whole model
#      against the reference backend, batches against single sequences, and with
#      R1_CUDA_LARGE_TESTS=1 the 1.5B shape against the CPU backend);
#   4. the benchmark against transformers (bench/gpu/vs_transformers.py: prefill 512 / 4096,
#      decode at batch 1 / 8 / 32 / 128, GB/s against the measured copy bandwidth), unless
#      --no-bench. Its table goes to $OUT (when set) or build/bench-results.
#   tools/gpu_check.sh [--no-bench] [BUILD_DIR]      (BUILD_DIR default build-gpu)
# A lent machine's session: tools/gpu_pack.sh here, then one run of
#   tools/gpu_check.sh 2>&1 | tee $OUT/gpu_check.log      with carry ["build/gpu-pack"].
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench=1
if [ "${1:-}" = "--no-bench" ]; then
  bench=0
  shift
fi
build="${1:-$root/build-gpu}"
pack="$root/build/gpu-pack/r1-gpu.tar.xz"
started=$SECONDS
section() { echo "== $1 ($((SECONDS - started)) s)"; }

section "GPU"
nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv,noheader \
  || echo "nvidia-smi failed: no driver or no GPU on this machine"

if [ -f "$pack" ]; then
  section "unpacking $pack"
  unpacked="$(mktemp -d)"
  tar -C "$unpacked" -xJf "$pack" || exit 1
  r1="$unpacked/r1-gpu/r1"
  cuda_tests="$unpacked/r1-gpu/r1_cuda_tests"
  echo "packed from commit $(cat "$unpacked/r1-gpu/COMMIT")"
else
  section "build ($build)"
  make -C "$root" build-deps >/dev/null || exit 1
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DR1_CUDA=ON \
    -DR1_CUDA_ARCHITECTURES=native -DR1_BUILD_BENCH=OFF >/dev/null || exit 1
  cmake --build "$build" -j "$(nproc)" --target r1 r1_cuda_tests || exit 1
  r1="$build/r1"
  cuda_tests="$build/tests/r1_cuda_tests"
fi

section "r1 devices"
"$r1" devices

section "GPU tests"
status=0
test_log="$(mktemp)"
R1_CUDA_LARGE_TESTS=1 timeout 300 "$cuda_tests" --gtest_brief=1 2>&1 | tee "$test_log"
[ "${PIPESTATUS[0]}" = 0 ] || status=1
# (one test skips itself on a machine with a GPU: the one for machines without)
if grep -q "no CUDA device to test on" "$test_log"; then
  echo "GPU tests were skipped: this machine's GPU could not be used (see above)"
  status=1
fi

if [ "$bench" = 1 ]; then
  section "benchmark against transformers"
  PYTHONUNBUFFERED=1 timeout 420 python3 "$root/bench/gpu/vs_transformers.py" --r1 "$r1" \
    --model "${R1_GPU_BENCH_MODEL:-/tmp/r1-gpu-bench-model}" || status=1
fi
section "done (exit $status)"
exit "$status"
