"""r1 on the GPU against Hugging Face transformers (bf16, static KV cache, torch.compile: the
seed's stack) on the same random-weight checkpoint of the DeepSeek-R1-Distill-Qwen-1.5B shape,
one after the other in one run, and the card's copy bandwidth measured alongside.

Prints (and writes as markdown and JSON) one table: prefill tok/s at 512 and 4096 tokens, decode
tok/s at batch 1, 8, 32 and 128, r1/transformers, GB/s of weights read per decode step and that as
a share of the measured copy bandwidth; then the issue's goals and whether each is met.

    python3 bench/gpu/vs_transformers.py --r1 build-gpu/r1 [--model DIR] [--out DIR]

Needs a GPU, PyTorch and transformers (the GPU machines have them). tools/gpu_check.sh runs it.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import hf_generate  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def copy_bandwidth_gbs() -> float:
    """Device-to-device copy of 2 GiB through PyTorch, bytes read + written per second (best of
    10 after 3 warm-ups): the bound a kernel that streams weights can approach."""
    import torch

    n = 2 << 30
    src = torch.empty(n, dtype=torch.uint8, device="cuda")
    dst = torch.empty_like(src)
    for _ in range(3):
        dst.copy_(src)
    torch.cuda.synchronize()
    best = float("inf")
    for _ in range(10):
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        dst.copy_(src)
        end.record()
        end.synchronize()
        best = min(best, start.elapsed_time(end) / 1e3)
    del src, dst
    torch.cuda.empty_cache()
    return 2 * n / best / 1e9


def parse_r1_bench(text: str) -> list[dict]:
    """The rows of r1 bench's llama-bench table: test, t/s mean, GB/s (decode rows)."""
    rows = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 9 or cells[0] in ("model",) or cells[0].startswith("---"):
            continue
        try:
            rate = float(cells[6].split("±")[0])
        except ValueError:
            continue
        gbs = float(cells[7]) if cells[7] not in ("-", "") else None
        rows.append({"test": cells[5], "tokens_per_second": rate, "weight_gbs": gbs,
                     "backend": cells[3]})
    return rows


def run_r1(r1: str, model: str, prompts: str, batches: str, gen: int, device: str) -> list[dict]:
    command = [r1, "bench", "--model", model, "--device", device, "-p", prompts, "-n", str(gen),
               "-b", batches, "-r", "2"]
    log("r1: " + " ".join(command))
    done = subprocess.run(command, capture_output=True, text=True)
    sys.stdout.write(done.stdout)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"r1 bench failed (exit {done.returncode}); its message is above")
    return parse_r1_bench(done.stdout)


def ensure_model(r1: str, folder: Path) -> Path:
    if (folder / "model.safetensors").exists() or any(folder.glob("*.safetensors")):
        return folder
    log(f"making the random DeepSeek-R1-Distill-Qwen-1.5B-shaped checkpoint in {folder}")
    subprocess.run([r1, "make-random-model", "--preset", "deepseek-r1-distill-qwen-1.5b",
                    "--dtype", "bf16", "--seed", "1", "--out", str(folder)], check=True)
    return folder


def batch_of(test: str) -> int:
    for part in test.split():
        if part.startswith("x") and part[1:].isdigit():
            return int(part[1:])
    return 1


def build_report(r1_rows, hf_rows, copy_gbs, machine, command) -> tuple[str, dict]:
    hf_by_test = {r["test"]: r for r in hf_rows}
    single = next((r for r in r1_rows if r["test"].startswith("tg") and batch_of(r["test"]) == 1), None)
    bytes_per_token = (single["weight_gbs"] * 1e9 / single["tokens_per_second"]) if single else None
    lines = [
        "# r1 vs transformers on the GPU",
        "",
        f"- machine: {machine}",
        f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- command: `{command}`",
        f"- copy bandwidth (device-to-device copy of 2 GiB, read + written bytes, best of 10): {copy_gbs:.0f} GB/s",
        f"- weights read per decode step: {bytes_per_token / 1e9:.2f} GB" if bytes_per_token else "- weights per step: unknown",
        "- transformers: bf16, `generate` with `cache_implementation=\"static\"` (its decode step compiled by "
        "torch.compile, mode reduce-overhead), greedy; decode = (generate of N tokens - generate of 1) / (N - 1)",
        "",
        "| test | r1 tok/s | transformers tok/s | r1 / transformers | r1 GB/s of weights | % of copy bandwidth | transformers compiled |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in r1_rows:
        hf = hf_by_test.get(r["test"])
        ratio = f"{r['tokens_per_second'] / hf['tokens_per_second']:.2f}×" if hf else "-"
        gbs = f"{r['weight_gbs']:.0f}" if r["weight_gbs"] is not None else "-"
        share = f"{100 * r['weight_gbs'] / copy_gbs:.0f} %" if r["weight_gbs"] is not None else "-"
        lines.append(f"| {r['test']} | {r['tokens_per_second']:.1f} | "
                     f"{hf['tokens_per_second']:.1f} | {ratio} | {gbs} | {share} | "
                     f"{'yes' if hf and hf['compiled'] else 'no'} |" if hf else
                     f"| {r['test']} | {r['tokens_per_second']:.1f} | - | - | {gbs} | {share} | - |")
    goals = []
    if single:
        share = single["weight_gbs"] / copy_gbs
        goals.append(("batch-1 decode ≥ 75 % of the bandwidth bound", f"{100 * share:.0f} %", share >= 0.75))
        hf = hf_by_test.get(single["test"])
        if hf:
            ratio = single["tokens_per_second"] / hf["tokens_per_second"]
            goals.append(("batch-1 decode ≥ 5× transformers", f"{ratio:.2f}×", ratio >= 5))
        b32 = next((r for r in r1_rows if r["test"].startswith("tg") and batch_of(r["test"]) == 32), None)
        if b32:
            ratio = b32["tokens_per_second"] / single["tokens_per_second"]
            goals.append(("batch-32 aggregate ≥ 20× batch 1", f"{ratio:.1f}×", ratio >= 20))
    lines += ["", "| goal | measured | met |", "|---|---:|---|"]
    lines += [f"| {g} | {m} | {'yes' if ok else 'no'} |" for g, m, ok in goals]
    data = {"r1": r1_rows, "transformers": hf_rows, "copy_gbs": copy_gbs,
            "bytes_per_token": bytes_per_token, "machine": machine, "command": command,
            "goals": [{"goal": g, "measured": m, "met": ok} for g, m, ok in goals]}
    return "\n".join(lines) + "\n", data


def machine_text() -> str:
    try:
        gpu = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total",
                              "--format=csv,noheader"], capture_output=True, text=True).stdout.strip()
    except OSError:
        gpu = "nvidia-smi not found"
    import torch
    import transformers
    return (f"{gpu}; {os.cpu_count()} CPUs; torch {torch.__version__}, "
            f"transformers {transformers.__version__}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--r1", default=str(ROOT / "build-gpu" / "r1"), help="the r1 program")
    parser.add_argument("--model", default=str(ROOT / "build" / "bench-models" / "hf-bf16"),
                        help="bf16 checkpoint folder (made with r1 make-random-model when missing)")
    parser.add_argument("--device", default="cuda", help="r1's --device")
    parser.add_argument("--prompts", default="512,4096")
    parser.add_argument("--batches", default="1,8,32,128")
    parser.add_argument("--gen", type=int, default=64)
    parser.add_argument("--skip-transformers", action="store_true")
    parser.add_argument("--out", default=os.environ.get("OUT") or str(ROOT / "build" / "bench-results"),
                        help="folder for gpu-vs-transformers.md / .json")
    args = parser.parse_args(argv)
    command = "bench/gpu/vs_transformers.py " + " ".join(argv)

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    machine = machine_text()

    def write(r1_rows, hf_rows, final):
        text, data = build_report(r1_rows, hf_rows, copy_gbs, machine, command)
        if not final:
            text = text.replace("# r1 vs transformers on the GPU", "# r1 vs transformers on the GPU (PARTIAL)")
        (out / "gpu-vs-transformers.md").write_text(text)
        (out / "gpu-vs-transformers.json").write_text(json.dumps(data, indent=1))
        return text

    model = ensure_model(args.r1, Path(args.model))
    copy_gbs = copy_bandwidth_gbs()
    log(f"copy bandwidth {copy_gbs:.0f} GB/s")
    r1_rows = run_r1(args.r1, str(model), args.prompts, args.batches, args.gen, args.device)
    write(r1_rows, [], False)  # the table so far survives a timeout in what follows
    hf_rows = []
    if not args.skip_transformers:
        log("transformers: loading")
        hf_model = hf_generate.load(str(model), "cuda")
        prompts = [int(p) for p in args.prompts.split(",") if int(p) > 0]
        batches = [int(b) for b in args.batches.split(",")]
        for p in prompts:
            hf_rows += [vars(m) for m in hf_generate.measure(hf_model, [p], [], args.gen, 0, True, log=log)]
            write(r1_rows, hf_rows, False)
        for b in batches:
            hf_rows += [vars(m) for m in hf_generate.measure(hf_model, [], [b], args.gen, 0, True, log=log)]
            write(r1_rows, hf_rows, False)
    text = write(r1_rows, hf_rows, True)
    print(text)
    log(f"wrote {out / 'gpu-vs-transformers.md'} and .json")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
