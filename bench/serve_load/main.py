"""bench/serve-load: the same streaming chat load against `r1 serve` and llama-cpp-python's
OpenAI-compatible server (`python -m llama_cpp.server`, no continuous batching) on one GGUF file
of the DeepSeek-R1-Distill-Qwen-1.5B shape (random weights). For each number of concurrent
clients it reports aggregate decode tok/s, p50/p99 time to first token and p50/p99 inter-token
latency, the ratio to one client, and r1's second-turn TTFT of a ~1000-token conversation with
and without its prefix cache. Writes OUT/serve-load.md. Run through the bench/serve-load wrapper."""
import argparse
import concurrent.futures
import http.client
import json
import os
import pathlib
import signal
import socket
import statistics
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE.parent / "vs_llamacpp"))
import machine  # noqa: E402

WORDS = ("the river north stone garden light measure quiet number paper window story winter "
         "market signal forest bridge letter engine silver morning harbor field record").split()


def text_of(n_words, salt):
    return " ".join(WORDS[(i * 7 + salt * 13) % len(WORDS)] for i in range(n_words))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(port, proc, log_path, path, timeout=600):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early; log: {log_path}")
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", path)
            if c.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"server not healthy after {timeout} s; log: {log_path}")


def stream_chat(port, messages, max_tokens):
    """One streaming request: (ttft seconds, token arrival times, chunks with text)."""
    body = json.dumps({"model": "m", "messages": messages, "max_tokens": max_tokens,
                       "temperature": 0.6, "top_p": 0.95, "stream": True, "seed": 1})
    start = time.perf_counter()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=900)
    c.request("POST", "/v1/chat/completions", body=body,
              headers={"Content-Type": "application/json"})
    resp = c.getresponse()
    if resp.status != 200:
        raise RuntimeError(f"HTTP {resp.status}: {resp.read()[:300]}")
    times = []
    buffer = b""
    while True:
        chunk = resp.read1(65536) if hasattr(resp, "read1") else resp.read(1)
        if not chunk:
            break
        buffer += chunk
        while b"\n\n" in buffer:
            event, buffer = buffer.split(b"\n\n", 1)
            for line in event.split(b"\n"):
                if not line.startswith(b"data:"):
                    continue
                data = line[5:].strip()
                if data == b"[DONE]":
                    continue
                obj = json.loads(data)
                for choice in obj.get("choices", []):
                    delta = choice.get("delta", {})
                    if delta.get("content") or delta.get("reasoning_content"):
                        times.append(time.perf_counter())
    c.close()
    ttft = (times[0] - start) if times else float("nan")
    return ttft, times


def percentile(values, q):
    if not values:
        return float("nan")
    values = sorted(values)
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def run_load(port, clients, requests_per_client, prompt_words, max_tokens):
    def client(i):
        results = []
        for r in range(requests_per_client):
            messages = [{"role": "user", "content": text_of(prompt_words, i * 31 + r)}]
            results.append(stream_chat(port, messages, max_tokens))
        return results

    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        all_results = [r for rs in pool.map(client, range(clients)) for r in rs]
    wall = time.perf_counter() - start
    tokens = sum(len(times) for _, times in all_results)
    ttfts = [t for t, _ in all_results]
    gaps = [b - a for _, times in all_results for a, b in zip(times, times[1:])]
    # Decode only: tokens after each stream's first, over the time at least one stream was
    # decoding (the union of the [first token, last token] intervals), so prefill stalls before
    # the first tokens do not count (a server that runs requests one by one decodes in turns).
    spans = sorted((times[0], times[-1]) for _, times in all_results if len(times) > 1)
    decoding, end = 0.0, float("-inf")
    for a, b in spans:
        decoding += max(0.0, b - max(a, end))
        end = max(end, b)
    decode_tokens = sum(len(times) - 1 for _, times in all_results if times)
    return {"clients": clients, "requests": len(all_results), "tokens": tokens, "wall": wall,
            "tok_s": tokens / wall,
            "decode_tok_s": decode_tokens / decoding if decoding > 0 else float("nan"), "ttft_p50": percentile(ttfts, 0.5),
            "ttft_p99": percentile(ttfts, 0.99), "itl_p50": percentile(gaps, 0.5),
            "itl_p99": percentile(gaps, 0.99)}


def second_turn(port, words):
    """TTFT of a ~1000-token first turn, then of the next turn (same conversation + a question)."""
    first = [{"role": "user", "content": text_of(words, 99)}]
    ttft1, _ = stream_chat(port, first, 24)
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=900)
    c.request("POST", "/v1/chat/completions", headers={"Content-Type": "application/json"},
              body=json.dumps({"model": "m", "messages": first, "max_tokens": 24,
                               "temperature": 0, "seed": 1}))
    answer = json.loads(c.getresponse().read())["choices"][0]["message"]
    text = (answer.get("content") or "")
    second = first + [{"role": "assistant", "content": text},
                      {"role": "user", "content": "And then what happened next?"}]
    ttft2, _ = stream_chat(port, second, 24)
    return ttft1, ttft2


def start_r1(args, model, port, log):
    cmd = [args.r1, "serve", "--model", str(model), "--port", str(port), "--threads",
           str(args.threads), "--parallel", str(max(args.clients)), "--ctx-size", "2048",
           "--max-queue", "256"]
    return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT), "/health"


def start_llama(args, model, port, log):
    # Extra buffer types (AMX) off: llama.cpp 0.3.36's AMX kernels crash here mid-stream.
    cmd = [sys.executable, str(pathlib.Path(__file__).with_name("llama_server_no_extra_bufts.py")),
           "--model", str(model), "--port", str(port),
           "--host", "127.0.0.1", "--n_threads", str(args.threads), "--n_ctx", "2048",
           "--interrupt_requests", "False"]  # queue concurrent requests, do not abort them
    return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT), "/v1/models"


def main(argv):
    ap = argparse.ArgumentParser(prog="bench/serve-load", description=__doc__)
    ap.add_argument("--clients", default="1,4,16", help="concurrency levels (default 1,4,16)")
    ap.add_argument("--requests", type=int, default=2, help="requests per client (default 2)")
    ap.add_argument("--prompt-words", type=int, default=120,
                    help="words per user message (~1.3 tokens each; default 120)")
    ap.add_argument("--max-tokens", type=int, default=128, help="tokens per answer (default 128)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--engines", default="r1,llama.cpp")
    ap.add_argument("--model", default=None,
                    help="GGUF file (default: build/bench-models/q8_0.r1-quantize.gguf, made once)")
    ap.add_argument("--r1", default=str(ROOT / "build" / "r1"))
    ap.add_argument("--out", default=str(ROOT / "build" / "bench-results"))
    ap.add_argument("--command", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    args.clients = [int(c) for c in args.clients.split(",")]
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    model = pathlib.Path(args.model) if args.model else ROOT / "build/bench-models/q8_0.r1-quantize.gguf"
    if not model.exists():
        hf = ROOT / "build/bench-models/hf-bf16"
        if not (hf / "model.safetensors").exists():
            subprocess.run([args.r1, "make-random-model", "--preset",
                            "deepseek-r1-distill-qwen-1.5b", "--dtype", "bf16", "--seed", "1",
                            "--out", str(hf)], check=True)
        subprocess.run([args.r1, "quantize", "--model", str(hf), "--out", str(model), "--type",
                        "q8_0"], check=True)

    info = machine.describe(ROOT)
    rows, turns = [], None
    started = time.time()
    for engine in [e.strip() for e in args.engines.split(",") if e.strip()]:
        port = free_port()
        log_path = out / f"serve-load-{engine}.log"
        with open(log_path, "w") as log:
            proc, health = (start_r1 if engine == "r1" else start_llama)(args, model, port, log)
            try:
                wait_healthy(port, proc, log_path, health)
                stream_chat(port, [{"role": "user", "content": "warm up"}], 4)
                for clients in args.clients:
                    row = run_load(port, clients, args.requests, args.prompt_words,
                                   args.max_tokens)
                    row["engine"] = engine
                    rows.append(row)
                    print(f"{engine:10s} {clients:3d} clients: {row['tok_s']:7.2f} tok/s, TTFT "
                          f"p50 {row['ttft_p50']:.2f} s p99 {row['ttft_p99']:.2f} s, ITL p50 "
                          f"{row['itl_p50'] * 1000:.0f} ms p99 {row['itl_p99'] * 1000:.0f} ms",
                          flush=True)
                if engine == "r1":
                    turns = second_turn(port, 760)
                    print(f"r1 second turn: TTFT {turns[1]:.2f} s vs first turn {turns[0]:.2f} s",
                          flush=True)
            finally:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    proc.kill()

    single = {r["engine"]: r["tok_s"] for r in rows if r["clients"] == 1}
    lines = ["# r1 serve vs llama-cpp-python's server", "",
             f"- machine: {machine.one_line(info)}",
             f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(started))}; "
             f"{(time.time() - started) / 60:.0f} minutes",
             f"- command: `{args.command or 'bench/serve-load'}`",
             f"- model: {model.name} (DeepSeek-R1-Distill-Qwen-1.5B shape, random weights); "
             f"{args.threads} threads; each client sends {args.requests} streaming chat requests "
             f"of ~{args.prompt_words} words, {args.max_tokens} tokens each (temperature 0.6, "
             "top_p 0.95); tokens = streamed chunks with text; aggregate = tokens over the "
             "whole wall time (prefill included), aggregate decode = tokens after each stream's "
             "first over the time some stream was decoding", "",
             "| engine | clients | aggregate tok/s | × one client | aggregate decode tok/s | "
             "× one client | TTFT p50 | TTFT p99 | inter-token p50 | inter-token p99 |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    single_decode = {r["engine"]: r["decode_tok_s"] for r in rows if r["clients"] == 1}
    for r in rows:
        ratio = r["tok_s"] / single[r["engine"]] if single.get(r["engine"]) else float("nan")
        dratio = (r["decode_tok_s"] / single_decode[r["engine"]]
                  if single_decode.get(r["engine"]) else float("nan"))
        lines.append(f"| {r['engine']} | {r['clients']} | {r['tok_s']:.2f} | {ratio:.2f}× | "
                     f"{r['decode_tok_s']:.2f} | {dratio:.2f}× | "
                     f"{r['ttft_p50']:.2f} s | {r['ttft_p99']:.2f} s | {r['itl_p50'] * 1000:.0f} ms | "
                     f"{r['itl_p99'] * 1000:.0f} ms |")
    if turns:
        lines += ["", f"- r1 prefix cache: second turn of a ~1000-token conversation TTFT "
                      f"{turns[1]:.2f} s vs {turns[0]:.2f} s for the first turn "
                      f"({100 * turns[1] / turns[0]:.0f} %)"]
    lines += ["", "llama-cpp-python's server runs one request at a time (no continuous batching); "
              "llama.cpp's own llama-server measured on this kind of machine (Feb 2025, 4 slots, "
              "Q8_0): 12.0 tok/s for one stream, 34.1 tok/s aggregate for four (2.85×)."]
    text = "\n".join(lines) + "\n"
    (out / "serve-load.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main(sys.argv[1:])
