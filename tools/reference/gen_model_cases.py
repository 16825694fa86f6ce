"""Writes tests/data/model/<preset>-<dtype>.json: what transformers computes for the random-weight
checkpoints that `r1 make-random-model` writes, so r1's forward pass can be checked against it.

Run from the repository root after `make build` (needs torch and transformers, see
requirements.txt):

    build/refvenv/bin/python tools/reference/gen_model_cases.py [--r1 build/r1]

For qwen2-tiny and llama-tiny in f32 and bf16 (seed 1) it makes the checkpoint with the r1 program
under build/refmodels/, tokenizes a fixed ~40-token prompt with the checkpoint's tokenizer (BOS
added), runs transformers (eager attention, the checkpoint's dtype) and records, per prompt
position: the argmax, the 16 largest logits, the logits of 64 fixed ids, and the min and max logit;
the hidden states after layers 0 and 1; and the greedy 32-token continuation (argmax of a full
forward at each step, no stopping at EOS) with its decoded text. Everything is deterministic.
"""

import argparse
import json
import os
import random
import subprocess

import torch
import transformers
from transformers import AutoModelForCausalLM, AutoTokenizer

PROMPT = ("请计算 17 × 23 的结果，并解释步骤。Then write a Python function `mul(a, b)` that "
          "returns a*b; <think> check: 17*23 = 391 </think>")
SEED = 1
CONTINUATION = 32
PROBE_IDS = 64


def run(r1, preset, dtype, out_root):
    folder = os.path.join(out_root, f"{preset}-{dtype}")
    subprocess.run([r1, "make-random-model", "--preset", preset, "--dtype", dtype, "--seed",
                    str(SEED), "--out", folder], check=True)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    ids = tokenizer(PROMPT).input_ids
    torch_dtype = torch.float32 if dtype == "f32" else torch.bfloat16
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch_dtype,
                                                 attn_implementation="eager")
    model.eval()
    rng = random.Random(f"{preset}-{dtype}")
    probe = sorted(rng.sample(range(151665), PROBE_IDS))
    with torch.no_grad():
        output = model(torch.tensor([ids]), output_hidden_states=True)
        logits = output.logits[0].float()
        positions = []
        for p in range(len(ids)):
            row = logits[p]
            top = torch.topk(row, 16)
            positions.append({
                "argmax": int(row.argmax()),
                "top_ids": top.indices.tolist(),
                "top_logits": top.values.tolist(),
                "probe_logits": row[probe].tolist(),
                "min": float(row.min()),
                "max": float(row.max()),
            })
        hidden = {str(layer): output.hidden_states[layer + 1][0].float().tolist()
                  for layer in (0, 1)}
        sequence = list(ids)
        for _ in range(CONTINUATION):
            next_logits = model(torch.tensor([sequence])).logits[0, -1].float()
            sequence.append(int(next_logits.argmax()))
    return {
        "generator": "tools/reference/gen_model_cases.py",
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__},
        "preset": preset, "dtype": dtype, "seed": SEED,
        "prompt": PROMPT, "ids": ids, "probe_ids": probe,
        "positions": positions,
        "hidden_after_layer": hidden,
        "greedy_continuation": sequence[len(ids):],
        "greedy_text": tokenizer.decode(sequence[len(ids):]),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--r1", default="build/r1")
    args = parser.parse_args()
    out_dir = os.path.join("tests", "data", "model")
    os.makedirs(out_dir, exist_ok=True)
    for preset in ("qwen2-tiny", "llama-tiny"):
        for dtype in ("f32", "bf16"):
            case = run(args.r1, preset, dtype, os.path.join("build", "refmodels"))
            path = os.path.join(out_dir, f"{preset}-{dtype}.json")
            with open(path, "w", encoding="utf-8") as f:
                json.dump(case, f, ensure_ascii=False)
            print(f"wrote {path}: {len(case['ids'])} prompt tokens, "
                  f"continuation {case['greedy_continuation'][:8]}...")


if __name__ == "__main__":
    main()
