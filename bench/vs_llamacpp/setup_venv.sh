#!/usr/bin/env bash
# Creates (or reuses) the two throw-away Python environments of bench/vs-llamacpp:
#   build/bench-venv          llama-cpp-python (its bundled llama.cpp compiled here with
#                             GGML_NATIVE=ON, ~20 min on 2 cores), numpy, matplotlib, gguf
#   build/bench-convert-venv  what llama.cpp's convert_hf_to_gguf.py needs (torch, transformers;
#                             ~4 GB download, no compiling)
# A venv counts as ready when its marker file holds the pinned versions below; delete the
# venv folder to rebuild it. The llama-cpp-python sdist is kept in build/bench-cache (it also
# carries the converter), and pip's own cache is never used, so no wheel built elsewhere with
# other CPU flags can slip in.
set -euo pipefail

LLAMA_CPP_PYTHON=0.3.36
GGUF=0.19.0
BENCH_PINS="llama-cpp-python==$LLAMA_CPP_PYTHON gguf==$GGUF numpy matplotlib"
CONVERT_PINS="torch==2.11.0 transformers==4.57.6 numpy~=2.2.6 sentencepiece>=0.1.98,<0.3.0 protobuf>=4.21.0,<5.0.0"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cache="$root/build/bench-cache"
mkdir -p "$cache"
exec 9>"$cache/setup.lock"
flock 9   # one set-up at a time (a second caller waits for the first)

sdist="$cache/llama_cpp_python-$LLAMA_CPP_PYTHON.tar.gz"
if [ ! -f "$sdist" ]; then
  echo "[setup] downloading the llama-cpp-python $LLAMA_CPP_PYTHON sdist"
  python3 -m pip download --no-cache-dir --no-binary :all: --no-deps \
    "llama-cpp-python==$LLAMA_CPP_PYTHON" -d "$cache"
fi
src="$cache/llama_cpp_python-$LLAMA_CPP_PYTHON"
[ -d "$src" ] || tar -xzf "$sdist" -C "$cache"

venv="$root/build/bench-venv"
if [ "$(cat "$venv/.r1-bench-ready" 2>/dev/null)" != "$BENCH_PINS" ]; then
  echo "[setup] building $venv: pip compiles llama.cpp with -march=native (about 20 minutes"
  echo "        on 2 cores; log in $cache/pip-install.log)"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --no-cache-dir --upgrade pip
  CMAKE_ARGS="-DGGML_NATIVE=ON -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF" \
  CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" \
    "$venv/bin/pip" install --no-cache-dir -v "$sdist" "gguf==$GGUF" numpy matplotlib \
    >"$cache/pip-install.log" 2>&1 || { tail -30 "$cache/pip-install.log"; exit 1; }
  echo "$BENCH_PINS" >"$venv/.r1-bench-ready"
fi

cvenv="$root/build/bench-convert-venv"
if [ "$(cat "$cvenv/.r1-bench-ready" 2>/dev/null)" != "$CONVERT_PINS" ]; then
  echo "[setup] building $cvenv for llama.cpp's convert_hf_to_gguf.py (log in $cache/pip-convert.log)"
  rm -rf "$cvenv"
  python3 -m venv "$cvenv"
  # shellcheck disable=SC2086
  "$cvenv/bin/pip" install --no-cache-dir $CONVERT_PINS \
    >"$cache/pip-convert.log" 2>&1 || { tail -30 "$cache/pip-convert.log"; exit 1; }
  echo "$CONVERT_PINS" >"$cvenv/.r1-bench-ready"
fi
