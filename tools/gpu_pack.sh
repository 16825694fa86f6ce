#!/usr/bin/env bash
# Packs what the GPU check needs into one archive, here, for a GPU machine that cannot install
# Debian packages (the lent GPU machines reach no network): the built r1 and r1_cuda_tests (the
# default build's fat binary has sm_80/89/90 code and sm_90 PTX, so no build is needed there)
# and the shared libraries they load that a machine with a newer glibc may lack (everything but
# glibc itself and the dynamic loader), with a wrapper that points the loader at them.
#   tools/gpu_pack.sh [BUILD_DIR]        (default build; writes BUILD_DIR/gpu-pack/r1-gpu.tar.xz)
# On the GPU machine, with the archive carried along: tools/gpu_check.sh finds it there and
# unpacks it instead of building.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build}"
out="$build/gpu-pack"

cmake --build "$build" --target r1 r1_cuda_tests >/dev/null
if ! grep -q "built with CUDA" <("$build/r1" devices 2>&1); then
  echo "$build/r1 was built without the CUDA kernels (R1_CUDA=OFF or no nvcc)" >&2
  exit 1
fi

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/r1-gpu/bin" "$stage/r1-gpu/lib"
cp "$build/r1" "$build/tests/r1_cuda_tests" "$stage/r1-gpu/bin/"
# The libraries as the loader resolves them here, minus glibc's own (the GPU machine's newer
# glibc runs programs linked against this one) and the loader.
for program in "$build/r1" "$build/tests/r1_cuda_tests"; do
  ldd "$program" | awk '$2 == "=>" && $3 ~ /^\// {print $3}'
done | sort -u | while read -r lib; do
  case "$(basename "$lib")" in
    libc.so.*|libm.so.*|libpthread.so.*|libdl.so.*|librt.so.*|libresolv.so.*|ld-linux*) ;;
    *) cp -L "$lib" "$stage/r1-gpu/lib/" ;;
  esac
done
for name in r1 r1_cuda_tests; do
  cat >"$stage/r1-gpu/$name" <<EOF
#!/bin/sh
here="\$(cd "\$(dirname "\$0")" && pwd)"
LD_LIBRARY_PATH="\$here/lib\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" exec "\$here/bin/$name" "\$@"
EOF
  chmod +x "$stage/r1-gpu/$name"
done
git -C "$root" rev-parse HEAD >"$stage/r1-gpu/COMMIT" 2>/dev/null || echo unknown >"$stage/r1-gpu/COMMIT"

mkdir -p "$out"
tar -C "$stage" -cf - r1-gpu | xz -T0 -6 >"$out/r1-gpu.tar.xz"
echo "wrote $out/r1-gpu.tar.xz ($(du -h "$out/r1-gpu.tar.xz" | cut -f1); commit $(cat "$stage/r1-gpu/COMMIT"))"
