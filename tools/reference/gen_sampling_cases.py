"""Writes tests/data/sampling/processors.json: transformers' logits processors on seeded logits.

Run: /tmp/refvenv/bin/python tools/reference/gen_sampling_cases.py
(needs torch and transformers, see requirements.txt; CI never runs it.)

Each case holds float32 logits, the step and its settings, the input ids (for the repetition
penalty) and the output of the transformers processor: RepetitionPenaltyLogitsProcessor,
TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper, MinPLogitsWarper, and "pipeline"
cases that chain them in generate()'s order (repetition penalty -> temperature -> top_k -> top_p
-> min_p). -inf is written as null. tests/sampling/processors_reference_test.cpp compares r1's
steps with them: -inf positions exactly, finite values within 1e-6 relative.

Ties: TopPLogitsWarper sorts with torch.sort's default (unstable) algorithm, which orders equal
logits arbitrarily once a row is long enough (and differently across torch versions and devices).
r1 orders equal logits by ascending id, as a stable sort does. Where that changes which of several
tied tokens survive, the case also holds "expected_stable": the same processors with torch.sort
forced to stable=True. The number of kept tokens never depends on the tie order (the sorted values
are the same), so the test checks that count against "expected" and the kept ids against
"expected_stable".
"""

import contextlib

import json
import pathlib

import torch
from transformers.generation.logits_process import (
    LogitsProcessorList,
    MinPLogitsWarper,
    RepetitionPenaltyLogitsProcessor,
    TemperatureLogitsWarper,
    TopKLogitsWarper,
    TopPLogitsWarper,
)

OUT = pathlib.Path(__file__).resolve().parents[2] / "tests" / "data" / "sampling" / "processors.json"


def encode(values):
    return [None if v == float("-inf") else float(v) for v in values.tolist()]


def make_logits(gen, vocab, kind):
    logits = torch.randn(vocab, generator=gen, dtype=torch.float32) * 3.0
    if kind == "ties":
        # Few distinct values, so top_k / top_p boundaries fall inside runs of equal logits.
        logits = torch.round(logits)
    elif kind == "peaked":
        logits[int(torch.randint(vocab, (1,), generator=gen))] += 12.0
    elif kind == "masked":
        banned = torch.rand(vocab, generator=gen) < 0.3
        logits[banned] = float("-inf")
    return logits


def build_processors(step, settings):
    processors = []
    if step in ("repetition_penalty", "pipeline") and settings.get("repetition_penalty", 1.0) != 1.0:
        processors.append(RepetitionPenaltyLogitsProcessor(settings["repetition_penalty"]))
    if step in ("temperature", "pipeline") and settings.get("temperature", 1.0) != 1.0:
        processors.append(TemperatureLogitsWarper(settings["temperature"]))
    if step in ("top_k", "pipeline") and settings.get("top_k", 0) != 0:
        processors.append(TopKLogitsWarper(top_k=settings["top_k"], min_tokens_to_keep=1))
    if step in ("top_p", "pipeline") and settings.get("top_p", 1.0) < 1.0:
        processors.append(TopPLogitsWarper(top_p=settings["top_p"], min_tokens_to_keep=1))
    if step in ("min_p", "pipeline") and settings.get("min_p", 0.0) > 0.0:
        processors.append(MinPLogitsWarper(min_p=settings["min_p"], min_tokens_to_keep=1))
    return LogitsProcessorList(processors)


@contextlib.contextmanager
def stable_torch_sort():
    original = torch.sort

    def stable_sort(*args, **kwargs):
        kwargs["stable"] = True
        return original(*args, **kwargs)

    torch.sort = stable_sort
    try:
        yield
    finally:
        torch.sort = original


def main():
    gen = torch.Generator().manual_seed(20261129)
    plans = []
    for vocab in (8, 50, 256):
        for kind in ("normal", "ties", "peaked", "masked"):
            for penalty in (1.3, 0.7):
                plans.append(("repetition_penalty", vocab, kind, {"repetition_penalty": penalty}))
            for temperature in (0.6, 1.7):
                plans.append(("temperature", vocab, kind, {"temperature": temperature}))
            for top_k in (1, 3, 40, 5000):
                plans.append(("top_k", vocab, kind, {"top_k": top_k}))
            for top_p in (0.1, 0.5, 0.9, 0.95, 0.999):
                plans.append(("top_p", vocab, kind, {"top_p": top_p}))
            for min_p in (0.01, 0.1, 0.5, 1.0):
                plans.append(("min_p", vocab, kind, {"min_p": min_p}))
            plans.append(("pipeline", vocab, kind, {"repetition_penalty": 1.1, "temperature": 0.6,
                                                   "top_k": 20, "top_p": 0.95, "min_p": 0.05}))
            plans.append(("pipeline", vocab, kind, {"temperature": 0.6, "top_p": 0.95}))
    cases = []
    for step, vocab, kind, settings in plans:
        logits = make_logits(gen, vocab, kind)
        n_ids = int(torch.randint(1, 2 * vocab, (1,), generator=gen))
        ids = torch.randint(vocab, (n_ids,), generator=gen)  # repeats on purpose
        processors = build_processors(step, settings)
        out = processors(ids[None, :], logits[None, :].clone())[0]
        with stable_torch_sort():
            out_stable = processors(ids[None, :], logits[None, :].clone())[0]
        case = {
            "name": f"{step}/{vocab}/{kind}/" + ",".join(f"{k}={v}" for k, v in settings.items()),
            "step": step,
            "settings": settings,
            "ids": ids.tolist(),
            "logits": encode(logits),
            "expected": encode(out),
        }
        if not torch.equal(out, out_stable):
            case["expected_stable"] = encode(out_stable)
        cases.append(case)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"torch": torch.__version__, "cases": cases}) + "\n")
    n_stable = sum("expected_stable" in case for case in cases)
    print(f"wrote {len(cases)} cases ({n_stable} with tie-order-dependent results) to {OUT}")


if __name__ == "__main__":
    main()
