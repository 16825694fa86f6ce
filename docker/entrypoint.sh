#!/bin/bash
# The r1 images' entrypoint (installed as /usr/local/bin/r1-entrypoint). It turns R1_*
# environment variables into `r1 serve` options and execs r1, so r1 is the container's PID 1 and
# receives `docker stop`'s SIGTERM itself (it finishes the open streams and exits 0).
#
#   (nothing) or OPTIONS...     r1 serve <options from the environment> OPTIONS...
#   serve OPTIONS...            the same
#   healthcheck                 exit 0 when GET /health on R1_PORT answers 200 (HEALTHCHECK)
#   r1 COMMAND... / pull ...    r1 COMMAND... as given (run, chat, pull, bench, ...)
#   anything else               run it (e.g. bash, to look around)
#
# Environment (an empty value counts as unset; OPTIONS given on the command line come after the
# ones made from the environment, and r1 keeps the last of a repeated option):
#   R1_MODEL            --model (folder, .gguf or Hugging Face repo id)
#   R1_HOST             --host (the image sets 0.0.0.0)
#   R1_PORT             --port (the image sets 7860; healthcheck probes it)
#   R1_THREADS          --threads (default: the container's CPU quota if it has one, else r1's
#                       default, the physical cores)
#   R1_PARALLEL, R1_CTX_SIZE, R1_KV_CACHE_TOKENS, R1_MAX_QUEUE, R1_QUANT, R1_CORS_ORIGIN,
#   R1_ALLOWED_HOSTS    --parallel, --ctx-size, --kv-cache-tokens, --max-queue, --quant,
#                       --cors-origin, --allowed-host
#   R1_API_KEY_FILE     --api-key-file
#   R1_DEVICE           --device (cpu, cuda or cuda:N; the CUDA image needs cuda to use its GPU)
#   R1_GPU_MEMORY_FRACTION  --gpu-memory-fraction (with --device cuda)
#   R1_API_KEY          written to a file only this user reads, passed as --api-key-file (so the
#                       key is in neither r1's command line nor its environment)
#   R1_DATA_DIR         --data-dir (the image sets /var/lib/r1; if it cannot be written, a folder
#                       under TMPDIR, with a warning: conversations then last as long as the
#                       container)
#   R1_OFFLINE          1/true/yes: --offline (serve only what the cache holds)
#   R1_EXTRA_ARGS       more options, split at white space (no quoting; give options with spaces
#                       on the command line instead)
#   R1_CGROUP_ROOT      where the cgroup's cpu.max is read (default /sys/fs/cgroup)
set -euo pipefail

readonly SELF=r1-entrypoint
readonly R1_COMMANDS="tokenize detokenize template run chat logits quantize bench perplexity \
make-random-model pull serve help"

die() {  # die EXIT_CODE MESSAGE
  echo "$SELF: $2" >&2
  exit "$1"
}

warn() {
  echo "$SELF: warning: $*" >&2
}

# The value of environment variable $1, empty when unset.
env_value() {
  printf '%s' "${!1:-}"
}

require_uint() {  # require_uint NAME VALUE MIN MAX WHAT
  local name=$1 value=$2 min=$3 max=$4 what=$5
  if ! [[ $value =~ ^[0-9]{1,9}$ ]] || ((10#$value < min || 10#$value > max)); then
    die 2 "$name must be $what ($min-$max), got '$value'. Set it with docker run -e $name=..., \
the compose file's environment or the pod's env."
  fi
}

# Whole CPUs of the cgroup's CPU quota (cgroup v2 cpu.max or v1 cfs quota/period); nothing when
# the cgroup has no quota. Docker's --cpus and Kubernetes' CPU limits set it.
cgroup_cpu_limit() {
  local root=${R1_CGROUP_ROOT:-/sys/fs/cgroup} quota="" period=""
  if [[ -r $root/cpu.max ]]; then
    read -r quota period <"$root/cpu.max" || true
  elif [[ -r $root/cpu/cpu.cfs_quota_us && -r $root/cpu/cpu.cfs_period_us ]]; then
    quota=$(<"$root/cpu/cpu.cfs_quota_us")
    period=$(<"$root/cpu/cpu.cfs_period_us")
  fi
  [[ $quota =~ ^[0-9]+$ && $period =~ ^[0-9]+$ ]] && ((period > 0)) || return 0
  local cpus=$((quota / period))
  echo $((cpus > 0 ? cpus : 1))
}

# The Hugging Face hub cache r1 uses, by huggingface_hub's precedence (as r1 reads it).
hub_cache_dir() {
  if [[ -n ${HF_HUB_CACHE:-} ]]; then echo "$HF_HUB_CACHE"
  elif [[ -n ${HUGGINGFACE_HUB_CACHE:-} ]]; then echo "$HUGGINGFACE_HUB_CACHE"
  elif [[ -n ${HF_HOME:-} ]]; then echo "$HF_HOME/hub"
  elif [[ -n ${XDG_CACHE_HOME:-} ]]; then echo "$XDG_CACHE_HOME/huggingface/hub"
  elif [[ -n ${HOME:-} ]]; then echo "$HOME/.cache/huggingface/hub"
  fi
}

# Warns when downloads into the cache would fail: the nearest existing folder on the way to it
# is not writable (the usual case: a host folder bind-mounted over the image's cache that
# belongs to another uid than the container's).
check_cache_writable() {
  local cache dir
  cache=$(hub_cache_dir)
  [[ -n $cache ]] || return 0
  dir=$cache
  while [[ ! -d $dir && $dir == */* ]]; do dir=${dir%/*}; dir=${dir:-/}; done
  [[ -d $dir && ! -w $dir ]] || return 0
  local owner
  owner=$(stat -c %u "$dir" 2>/dev/null || echo "?")
  warn "the Hugging Face cache $cache cannot be written by this container's user (uid $(id -u));" \
    "$dir belongs to uid $owner. Models already in it are served, downloads into it fail. Fix:" \
    "'sudo chown -R $(id -u):$(id -g) <the host folder mounted there>', or start the container" \
    "with --user $owner:$(stat -c %g "$dir" 2>/dev/null || echo "GID")."
}

# Prints the data folder to use: R1_DATA_DIR, or a folder under TMPDIR when that cannot be
# written (e.g. the container runs with another --user than the image's).
data_dir() {
  local dir=$1
  if mkdir -p -- "$dir" 2>/dev/null && [[ -w $dir ]]; then
    echo "$dir"
    return
  fi
  local fallback
  fallback=${TMPDIR:-/tmp}/r1-data-$(id -u)
  warn "R1_DATA_DIR $dir cannot be written by uid $(id -u); the web chat's conversations go to" \
    "$fallback and are lost with the container. Mount a writable volume there or set R1_DATA_DIR."
  mkdir -p -- "$fallback"
  echo "$fallback"
}

serve() {
  local -a args=()
  local value name option
  for name in R1_MODEL:--model R1_HOST:--host R1_PARALLEL:--parallel R1_CTX_SIZE:--ctx-size \
    R1_KV_CACHE_TOKENS:--kv-cache-tokens R1_MAX_QUEUE:--max-queue R1_QUANT:--quant \
    R1_CORS_ORIGIN:--cors-origin R1_ALLOWED_HOSTS:--allowed-host \
    R1_API_KEY_FILE:--api-key-file R1_DEVICE:--device \
    R1_GPU_MEMORY_FRACTION:--gpu-memory-fraction; do
    option=${name#*:}
    name=${name%%:*}
    value=$(env_value "$name")
    [[ -n $value ]] && args+=("$option" "$value")
  done

  value=$(env_value R1_PORT)
  if [[ -n $value ]]; then
    require_uint R1_PORT "$value" 1 65535 "a port number"
    args+=(--port "$value")
  fi

  value=$(env_value R1_THREADS)
  if [[ -n $value ]]; then
    require_uint R1_THREADS "$value" 1 4096 "a number of threads"
    args+=(--threads "$value")
  else
    local limit
    limit=$(cgroup_cpu_limit)
    # Without this r1 would start a thread per core of the machine and the quota would throttle
    # them all.
    if [[ -n $limit ]] && ((limit < $(nproc))); then args+=(--threads "$limit"); fi
  fi

  value=$(env_value R1_API_KEY)
  if [[ -n $value ]]; then
    local key_file
    key_file=$(umask 077 && mktemp "${TMPDIR:-/tmp}/r1-api-key.XXXXXX") ||
      die 1 "cannot write R1_API_KEY to a file under ${TMPDIR:-/tmp}; mount a writable /tmp or use R1_API_KEY_FILE."
    printf '%s' "$value" >"$key_file"
    unset R1_API_KEY
    args+=(--api-key-file "$key_file")
  fi

  value=$(env_value R1_DATA_DIR)
  [[ -n $value ]] && args+=(--data-dir "$(data_dir "$value")")

  value=$(env_value R1_OFFLINE)
  case ${value,,} in
    "" | 0 | false | no) ;;
    1 | true | yes) args+=(--offline) ;;
    *) die 2 "R1_OFFLINE must be 1/true/yes or 0/false/no, got '$value'." ;;
  esac

  value=$(env_value R1_EXTRA_ARGS)
  if [[ -n $value ]]; then
    local -a extra
    read -r -a extra <<<"$value"
    args+=("${extra[@]}")
  fi

  check_cache_writable
  echo "$SELF: r1 serve ${args[*]} $*" >&2
  exec r1 serve "${args[@]}" "$@"
}

# GET /health through bash's /dev/tcp (the image has no curl): 0 when the answer is 200.
healthcheck() {
  local port=${R1_PORT:-7860} host=127.0.0.1 status_line
  require_uint R1_PORT "$port" 1 65535 "a port number"
  case ${R1_HOST:-} in
    "" | 0.0.0.0 | :: | "[::]") ;;
    *) host=$R1_HOST ;;
  esac
  if ! { exec 3<>"/dev/tcp/$host/$port"; } 2>/dev/null; then
    echo "$SELF: nothing listens on $host:$port" >&2
    return 1
  fi
  printf 'GET /health HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$host" >&3
  if ! IFS= read -r -t "${R1_HEALTHCHECK_TIMEOUT:-5}" status_line <&3; then
    echo "$SELF: no answer from $host:$port/health" >&2
    return 1
  fi
  exec 3<&-
  status_line=${status_line%$'\r'}
  if [[ $status_line =~ ^HTTP/1\.[01]\ 200( |$) ]]; then return 0; fi
  echo "$SELF: GET /health: $status_line" >&2
  return 1
}

main() {
  local command=${1:-}
  case $command in
    healthcheck)
      healthcheck
      ;;
    serve)
      shift
      serve "$@"
      ;;
    "" | -*)
      serve "$@"
      ;;
    r1)
      shift
      exec r1 "$@"
      ;;
    *)
      if [[ " $R1_COMMANDS " == *" $command "* ]]; then
        [[ $command == pull ]] && check_cache_writable
        exec r1 "$@"
      fi
      command -v -- "$command" >/dev/null ||
        die 127 "'$command' is neither an r1 command ($R1_COMMANDS) nor a program in the image."
      exec "$@"
      ;;
  esac
}

main "$@"
