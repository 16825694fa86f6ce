"""Measures Hugging Face `tokenizers` encode throughput on one thread, as a reference for r1's own
tokenizer benchmark.

Run from the repository root:

    /tmp/refvenv/bin/python tools/bench_hf_tokenizers.py \
        [tests/data/bench/mixed_1mb.txt] [assets/models/deepseek-r1-distill-qwen-1.5b/tokenizer.json]

Encodes the whole file as one string with add_special_tokens=False: one warm-up run, then the best
of 5 timed runs. Prints `hf_tokenizers_encode_MBps <value>` (MB = 10^6 bytes of UTF-8 input per
second of wall time) and the token count.
"""

import os

# One thread: must be set before tokenizers is imported.
os.environ["RAYON_NUM_THREADS"] = "1"
os.environ["RAYON_RS_NUM_CPUS"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"

import sys  # noqa: E402
import time  # noqa: E402

import tokenizers  # noqa: E402
from tokenizers import Tokenizer  # noqa: E402

RUNS = 5


def main():
    text_path = sys.argv[1] if len(sys.argv) > 1 else "tests/data/bench/mixed_1mb.txt"
    tokenizer_path = (sys.argv[2] if len(sys.argv) > 2 else
                      "assets/models/deepseek-r1-distill-qwen-1.5b/tokenizer.json")
    with open(text_path, "rb") as source:
        data = source.read()
    text = data.decode("utf-8")
    tokenizer = Tokenizer.from_file(tokenizer_path)

    token_count = len(tokenizer.encode(text, add_special_tokens=False).ids)  # Warm-up.
    best = float("inf")
    for _ in range(RUNS):
        start = time.perf_counter()
        ids = tokenizer.encode(text, add_special_tokens=False).ids
        best = min(best, time.perf_counter() - start)
        if len(ids) != token_count:
            raise SystemExit("encode is not deterministic: token counts differ between runs")
    print(f"tokenizers {tokenizers.__version__}, {text_path}: {len(data)} bytes")
    print(f"hf_tokenizers_encode_MBps {len(data) / best / 1e6:.3f}")
    print(f"hf_tokenizers_token_count {token_count}")
    print(f"hf_tokenizers_best_seconds {best:.4f}")


if __name__ == "__main__":
    main()
