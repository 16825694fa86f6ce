"""The machine and the moment a benchmark ran on: CPU, cores, memory, load, date, r1 commit."""
import datetime
import os
import platform
import subprocess


def _lscpu():
    out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    return {k.strip(): v.strip() for k, _, v in (l.partition(":") for l in out.splitlines())}


def describe(root):
    cpu = _lscpu()
    mem_kib = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    flags = cpu.get("Flags", "").split()
    simd = [f for f in ("avx2", "avx512f", "avx512_bf16", "avx512_vnni", "amx_bf16", "amx_int8")
            if f in flags]
    commit = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    return {
        "cpu": cpu.get("Model name", platform.processor()),
        "cpus": os.cpu_count(),
        "cores_per_socket": cpu.get("Core(s) per socket", "?"),
        "threads_per_core": cpu.get("Thread(s) per core", "?"),
        "simd": " ".join(simd),
        "memory_gib": mem_kib / 1024**2,
        "kernel": platform.release(),
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "r1_commit": commit,
    }


def load_average():
    return os.getloadavg()[0]


def one_line(m):
    return (f"{m['cpu']}, {m['cpus']} CPUs ({m['cores_per_socket']} cores/socket, "
            f"{m['threads_per_core']} threads/core; {m['simd']}), {m['memory_gib']:.0f} GiB, "
            f"Linux {m['kernel']}")
