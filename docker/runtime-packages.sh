#!/bin/bash
# Prints, one per line and sorted, the Debian packages that hold the shared libraries PROGRAM
# links (as ldd resolves them on this system), followed by the EXTRA package names given. The
# images' build stage runs it on the r1 it built, and the runtime stage installs exactly these,
# so the runtime image gets the libraries and nothing of the build tools.
#
#   docker/runtime-packages.sh PROGRAM [EXTRA_PACKAGE...]
#
# The NVIDIA driver's libraries (libcuda, libnvidia-*) are not looked for: the NVIDIA Container
# Toolkit mounts the host driver's into the container when it starts.
set -euo pipefail

die() {
  echo "runtime-packages: $*" >&2
  exit 1
}

(($# >= 1)) || die "usage: $0 PROGRAM [EXTRA_PACKAGE...]"
program=$1
shift
[[ -f $program && -x $program ]] || die "$program is not an executable file; build it first (make release)."

# The package that holds PATH, trying the path itself, where its links lead, and its twin across
# the /usr merge (dpkg may know /lib/x/libc.so.6 as /usr/lib/x/libc.so.6 or the other way).
package_of() {
  local path=$1 candidate owner
  for candidate in "$path" "$(readlink -f "$path")" "/usr${path}" "${path#/usr}"; do
    [[ -n $candidate ]] || continue
    owner=$(dpkg-query --search "$candidate" 2>/dev/null | grep -v '^diversion by' | head -n 1) || true
    if [[ -n $owner ]]; then
      owner=${owner%%: *}   # "libfoo1:amd64: /usr/lib/..." -> "libfoo1:amd64"
      owner=${owner%%,*}    # several packages share the path: the first
      echo "${owner%%:*}"   # the package name without its architecture
      return 0
    fi
  done
  return 1
}

ldd_output=$(ldd "$program" 2>&1) || die "ldd $program failed: $ldd_output"

packages=()
while read -r line; do
  [[ -n $line ]] || continue
  if [[ $line =~ ^([^[:space:]]+)\ =\>\ not\ found ]]; then
    library=${BASH_REMATCH[1]}
    [[ $library == libcuda.so* || $library == libnvidia-* ]] && continue
    die "$program needs $library, which ldd cannot find here: install the package that provides it in the build stage (BUILD_PACKAGES in the Makefile)."
  elif [[ $line =~ \=\>\ (/[^[:space:]]+) ]]; then
    path=${BASH_REMATCH[1]}
  elif [[ $line =~ ^(/[^[:space:]]+)\ \( ]]; then
    path=${BASH_REMATCH[1]}   # the dynamic loader
  else
    continue                  # linux-vdso.so.1 and the like: in the kernel, not in a file
  fi
  package=$(package_of "$path") ||
    die "no installed Debian package holds $path (needed by $program); libraries copied in by hand cannot be installed in the runtime image."
  packages+=("$package")
done <<<"$ldd_output"

((${#packages[@]} > 0)) || die "ldd found no libraries in $program: is it a dynamic executable?"
printf '%s\n' "${packages[@]}" "$@" | sort -u
