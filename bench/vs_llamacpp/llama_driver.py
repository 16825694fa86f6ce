"""One llama.cpp measurement in its own process, through llama-cpp-python's low-level API.

  python llama_driver.py --model F.gguf --threads T --test pp|tg -p 512 -n 128 -d 512 -r 3

pp: prefill of P tokens as one batched llama_decode (logits for the last token only), from an
empty cache. tg: N one-token llama_decode calls after a D-token prefill. One warm-up run, then R
timed ones; the KV cache is cleared before each. Prints one JSON line: tok/s of each run, peak RSS
(VmHWM of this process), llama.cpp's own eval time (llama_perf_context) and the Python overhead
per decode call. The token ids follow r1 bench's sequence, so both engines see the same prompt.
"""
import argparse
import json
import sys
import time

import llama_cpp as L


def bench_tokens(n, vocab):
    """The token sequence of r1 bench (src/cli/cmd_bench.cpp)."""
    ids, state, mask = [], 0x9E3779B97F4A7C15, (1 << 64) - 1
    for _ in range(n):
        state = (state * 6364136223846793005 + 1442695040888963407) & mask
        ids.append((state >> 33) % vocab)
    return ids


def fill(batch, tokens, start, last_logits=True):
    batch.n_tokens = len(tokens)
    for i, tok in enumerate(tokens):
        batch.token[i] = tok
        batch.pos[i] = start + i
        batch.n_seq_id[i] = 1
        batch.seq_id[i][0] = 0
        batch.logits[i] = 1 if (last_logits and i == len(tokens) - 1) else 0


def peak_rss_bytes():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--test", choices=["pp", "tg"], required=True)
    ap.add_argument("-p", type=int, default=512)
    ap.add_argument("-n", type=int, default=128)
    ap.add_argument("-d", type=int, default=512)
    ap.add_argument("-r", type=int, default=3)
    ap.add_argument("--system-info", action="store_true", help="print llama_print_system_info")
    ap.add_argument("--no-extra-bufts", action="store_true",
                    help="no extra buffer types (no AMX, no weight repacking): llama-bench -nr 1")
    args = ap.parse_args()

    L.llama_backend_init()
    if args.system_info:
        print(L.llama_print_system_info().decode(), file=sys.stderr)

    mparams = L.llama_model_default_params()
    mparams.n_gpu_layers = 0
    mparams.use_extra_bufts = not args.no_extra_bufts
    model = L.llama_model_load_from_file(args.model.encode(), mparams)
    if not model:
        sys.exit(f"llama.cpp could not load {args.model}")
    vocab = L.llama_vocab_n_tokens(L.llama_model_get_vocab(model))

    batch_size = max(args.p, args.d, 1)
    cparams = L.llama_context_default_params()
    cparams.n_ctx = max(1024, args.p + 16, args.d + args.n + 16)
    cparams.n_batch = batch_size
    cparams.n_ubatch = batch_size
    cparams.n_seq_max = 1
    cparams.n_threads = args.threads
    cparams.n_threads_batch = args.threads
    cparams.no_perf = False
    ctx = L.llama_init_from_model(model, cparams)
    if not ctx:
        sys.exit("llama_init_from_model failed")
    memory = L.llama_get_memory(ctx)
    batch = L.llama_batch_init(batch_size, 0, 1)

    def decode():
        if L.llama_decode(ctx, batch) != 0:
            sys.exit("llama_decode failed")

    rates, eval_ms, wall_ms, calls = [], 0.0, 0.0, 0
    for run in range(args.r + 1):  # run 0 warms up
        L.llama_memory_clear(memory, True)
        if args.test == "pp":
            fill(batch, bench_tokens(args.p, vocab), 0)
            begin = time.perf_counter()
            decode()
            L.llama_synchronize(ctx)
            seconds = time.perf_counter() - begin
            if run > 0:
                rates.append(args.p / seconds)
        else:
            if args.d > 0:
                fill(batch, bench_tokens(args.d, vocab), 0)
                decode()
                L.llama_synchronize(ctx)
            n = min(args.n, 4) if run == 0 else args.n
            tokens = bench_tokens(n, vocab)
            L.llama_perf_context_reset(ctx)
            begin = time.perf_counter()
            for i, tok in enumerate(tokens):
                fill(batch, [tok], args.d + i)
                decode()
                L.llama_synchronize(ctx)  # as llama-bench does; also books the call as eval
            seconds = time.perf_counter() - begin
            if run > 0:
                rates.append(n / seconds)
                perf = L.llama_perf_context(ctx)
                eval_ms += perf.t_eval_ms
                wall_ms += seconds * 1e3
                calls += perf.n_eval

    # Python's share of a decode call: filling the batch and one ctypes call, timed around a
    # call that does nothing (llama_n_ctx), and the wall time not spent in llama.cpp's eval.
    reps = 20000
    begin = time.perf_counter()
    for i in range(reps):
        fill(batch, [1], i)
        L.llama_n_ctx(ctx)
    stub_us = (time.perf_counter() - begin) / reps * 1e6

    result = {
        "engine": "llama.cpp", "test": args.test, "threads": args.threads, "rates": rates,
        "peak_rss": peak_rss_bytes(), "n_ctx": cparams.n_ctx,
        "python_stub_us": stub_us, "extra_bufts": not args.no_extra_bufts,
    }
    if calls:
        result["python_gap_us"] = (wall_ms - eval_ms) / calls * 1e3
        result["eval_ms_per_token"] = eval_ms / calls
    print(json.dumps(result))
    L.llama_batch_free(batch)
    L.llama_free(ctx)
    L.llama_model_free(model)


if __name__ == "__main__":
    main()
