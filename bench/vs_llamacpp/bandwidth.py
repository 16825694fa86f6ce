"""Measured read bandwidth, the bound for decode: compiles stream_read.c and runs it."""
import pathlib
import subprocess

HERE = pathlib.Path(__file__).resolve().parent


def measure(threads, build_dir, mib=2048, passes=6):
    """Best-of-`passes` GB/s reading `mib` MiB with each thread count: {threads: GB/s}."""
    binary = pathlib.Path(build_dir) / "stream_read"
    source = HERE / "stream_read.c"
    if not binary.exists() or binary.stat().st_mtime < source.stat().st_mtime:
        subprocess.run(["gcc", "-O3", "-march=native", "-fopenmp", str(source), "-o", str(binary)],
                       check=True)
    result = {}
    for t in threads:
        out = subprocess.run([str(binary), str(t), str(mib), str(passes)], check=True,
                             capture_output=True, text=True, env={"OMP_PROC_BIND": "false"}).stdout
        result[t] = float(out.split("GB/s")[1].split()[0])
    return result


if __name__ == "__main__":
    print(measure([1, 2], "/tmp"))
