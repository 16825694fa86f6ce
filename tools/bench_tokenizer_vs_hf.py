"""Runs r1's tokenizer benchmark and Hugging Face `tokenizers` side by side on the same 1 MB text
and tokenizer, one thread each, and prints both throughputs and their ratio.

Run from the repository root after `make build` (needs the reference venv, see
tools/reference/README.md):

    build/refvenv/bin/python tools/bench_tokenizer_vs_hf.py [--build-dir build]

Both encode tests/data/bench/mixed_1mb.txt as one string without special tokens with the
DeepSeek-R1-Distill-Qwen tokenizer. r1: build/bench/r1_bench_tokenizer (Google Benchmark,
BM_Encode, best of 5 repetitions); HF: tools/bench_hf_tokenizers.py (best of 5 after a warm-up).
MB = 10^6 bytes of UTF-8 input per second.
"""

import argparse
import json
import os
import subprocess
import sys


def r1_encode_mbps(build_dir):
    binary = os.path.join(build_dir, "bench", "r1_bench_tokenizer")
    out = subprocess.run(
        [binary, "--benchmark_filter=BM_Encode$", "--benchmark_repetitions=5",
         "--benchmark_format=json"],
        check=True, capture_output=True, text=True).stdout
    runs = [b for b in json.loads(out)["benchmarks"] if b.get("run_type") == "iteration"]
    return max(b["bytes_per_second"] for b in runs) / 1e6


def hf_encode_mbps():
    here = os.path.dirname(os.path.abspath(__file__))
    out = subprocess.run([sys.executable, os.path.join(here, "bench_hf_tokenizers.py")],
                         check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        if line.startswith("hf_tokenizers_encode_MBps"):
            return float(line.split()[1])
    raise SystemExit("bench_hf_tokenizers.py printed no throughput:\n" + out)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", default="build")
    args = parser.parse_args()
    hf = hf_encode_mbps()
    ours = r1_encode_mbps(args.build_dir)
    print(f"r1 tokenizer encode:            {ours:8.2f} MB/s (1 thread)")
    print(f"HF tokenizers encode:           {hf:8.2f} MB/s (1 thread)")
    print(f"ratio r1 / HF tokenizers:       {ours / hf:8.2f}x")


if __name__ == "__main__":
    main()
