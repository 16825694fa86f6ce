"""Hugging Face transformers' `generate` timed as the seed deploys it: bf16 weights on the GPU,
its static KV cache and torch.compile (transformers compiles the decode step by itself when the
cache is static), greedy, fixed token counts.

Decode speed is the difference of two whole generates: N new tokens and 1 new token (the prefill
and its first token alone, which never runs the compiled step) for the same batch, so nothing is
added to transformers' loop (a stopping criterion that timed each step would have to synchronize
the device, which transformers 5 avoids between steps).

Used by bench/gpu/vs_transformers.py; runs on its own too (also on a CPU, for trying it out):
    python3 bench/gpu/hf_generate.py --model build/bench-models/hf-bf16 --batches 1,8 --gen 32
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass


@dataclass
class Measurement:
    test: str  # "pp512", "tg64 x8", as r1 bench names its tests
    tokens_per_second: float
    seconds: float
    compiled: bool  # whether transformers compiled the decode step (it does so on GPUs only)
    note: str = ""


def load(model_dir: str, device: str):
    import torch
    from transformers import AutoModelForCausalLM

    try:
        model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.bfloat16)
    except TypeError:  # transformers before 4.56 names the argument torch_dtype
        model = AutoModelForCausalLM.from_pretrained(model_dir, torch_dtype=torch.bfloat16)
    return model.to(device).eval()


def generate_seconds(model, batch: int, prompt: int, new_tokens: int, compile_decode: bool) -> float:
    """Seconds of one greedy generate of `new_tokens` tokens after `prompt` random tokens for
    `batch` sequences (end of output synchronized)."""
    import torch

    device = next(model.parameters()).device
    vocab = min(model.config.vocab_size, 151643)
    generator = torch.Generator(device="cpu").manual_seed(1234 + batch)
    ids = torch.randint(0, vocab, (batch, prompt), generator=generator).to(device)
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    with torch.inference_mode():
        out = model.generate(
            input_ids=ids,
            attention_mask=torch.ones_like(ids),
            max_new_tokens=new_tokens,
            min_new_tokens=new_tokens,
            do_sample=False,
            cache_implementation="static",
            disable_compile=not compile_decode,
            pad_token_id=0,
            eos_token_id=None,
        )
        out.cpu()
    seconds = time.perf_counter() - start
    if out.shape[1] != prompt + new_tokens:
        raise RuntimeError(f"generate returned {out.shape[1] - prompt} new tokens, asked {new_tokens}")
    return seconds


def best_seconds(runs: int, fn) -> float:
    return min(fn() for _ in range(runs))


def measure(model, prompts: list[int], batches: list[int], gen: int, depth: int, compile_decode: bool,
            runs: int = 2, log=print) -> list[Measurement]:
    results: list[Measurement] = []
    for p in prompts:
        generate_seconds(model, 1, p, 1, compile_decode)  # warm-up (kernels, allocator)
        prefill = best_seconds(runs, lambda: generate_seconds(model, 1, p, 1, compile_decode))
        results.append(Measurement(f"pp{p}", p / prefill, prefill, False,
                                   "prefill of one sequence and its first token (never compiled)"))
        log(f"[transformers] pp{p}: {p / prefill:.1f} tok/s")
    prompt = max(depth, 1)
    for b in batches:
        # The first generate compiles the decode step for this batch size and records its CUDA
        # graphs (mode "reduce-overhead"); the timed ones reuse them.
        t0 = time.perf_counter()
        generate_seconds(model, b, prompt, gen, compile_decode)
        generate_seconds(model, b, prompt, 1, compile_decode)
        warm = time.perf_counter() - t0
        whole = best_seconds(runs, lambda: generate_seconds(model, b, prompt, gen, compile_decode))
        first = best_seconds(runs, lambda: generate_seconds(model, b, prompt, 1, compile_decode))
        seconds = max(whole - first, 1e-9)
        rate = b * (gen - 1) / seconds
        name = f"tg{gen}" + (f" x{b}" if b > 1 else "") + (f" @ d{depth}" if depth > 1 else "")
        # transformers keeps the compiled decode step on the model once it made one.
        compiled = getattr(model, "_compiled_call", None) is not None
        results.append(Measurement(name, rate, seconds, compiled,
                                   f"(generate of {gen} - generate of 1) / {gen - 1} steps, best of {runs};"
                                   f" warm-up {warm:.0f} s"))
        log(f"[transformers] {name}: {rate:.1f} tok/s ({'compiled' if compiled else 'eager'};"
            f" warm-up {warm:.0f} s)")
    return results


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="Hugging Face model folder")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--prompts", default="512,4096")
    parser.add_argument("--batches", default="1,8,32,128")
    parser.add_argument("--gen", type=int, default=64)
    parser.add_argument("--depth", type=int, default=1, help="prompt tokens before the decode steps")
    parser.add_argument("--no-compile", action="store_true", help="eager decode step")
    parser.add_argument("--json", help="write the measurements here")
    args = parser.parse_args(argv)
    model = load(args.model, args.device)
    prompts = [int(x) for x in args.prompts.split(",") if x and int(x) > 0]
    batches = [int(x) for x in args.batches.split(",") if x]
    results = measure(model, prompts, batches, args.gen, args.depth, not args.no_compile)
    if args.json:
        with open(args.json, "w") as out:
            json.dump([asdict(r) for r in results], out, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
