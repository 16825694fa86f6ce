"""bench/vs-llamacpp: r1 and llama.cpp, alternately, on the same model files; prints and writes
a table of prefill / decode tok/s, their ratio, decode as a share of the measured bandwidth
bound and peak RSS, and a PNG chart of it. Run through the bench/vs-llamacpp wrapper, which sets
up the Python environments first. See bench/README.md."""
import argparse
import json
import pathlib
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))


def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog="bench/vs-llamacpp",
        description="r1 against llama.cpp (llama-cpp-python 0.3.36, compiled here with "
                    "-march=native) on the DeepSeek-R1-Distill-Qwen-1.5B-shaped random model.")
    ap.add_argument("--formats", default="bf16,f16,q8_0,q4_k_m",
                    help="comma list of bf16, f16, q8_0, q4_k_m, q5_k_m, q4_0 "
                         "(default: bf16,f16,q8_0,q4_k_m)")
    ap.add_argument("--threads", default="1,2", help="thread counts (default 1,2)")
    ap.add_argument("--repetitions", type=int, default=3,
                    help="timed runs per test and engine, after one warm-up (default 3)")
    ap.add_argument("--prompt", type=int, default=512, help="prefill length (default 512)")
    ap.add_argument("--gen", type=int, default=128, help="decode steps (default 128)")
    ap.add_argument("--depth", type=int, default=None,
                    help="tokens in the cache before decoding (default: --prompt)")
    ap.add_argument("--quick", action="store_true",
                    help="smoke test: prompt 64, 16 decode steps, 1 repetition")
    ap.add_argument("--keep-going", action="store_true",
                    help="note a failing format or engine and go on instead of stopping")
    ap.add_argument("--r1", default=str(ROOT / "build" / "r1"), help="r1 binary (default build/r1)")
    ap.add_argument("--out", default=str(ROOT / "build" / "bench-results"),
                    help="results folder (default build/bench-results)")
    ap.add_argument("--command", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.quick:
        args.prompt, args.gen, args.repetitions = 64, 16, 1
    if args.depth is None:
        args.depth = args.prompt
    args.formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    args.threads = [int(t) for t in args.threads.split(",")]
    return args


class Log:
    """Prints progress and keeps every engine's full output in OUT/vs-llamacpp.log."""

    def __init__(self, path):
        self.file = open(path, "w")

    def say(self, text):
        print(text, flush=True)
        self.file.write(text + "\n")
        self.file.flush()

    def write(self, text):
        self.file.write(text)

    def flush(self):
        self.file.flush()


def llama_system_info(log):
    import llama_cpp
    llama_cpp.llama_backend_init()
    info = llama_cpp.llama_print_system_info().decode().strip()
    log.say(f"[llama.cpp] llama-cpp-python {llama_cpp.__version__}: {info}")
    if "AVX512 = 1" not in info and "AVX2 = 1" not in info:
        log.say("[llama.cpp] WARNING: the library was built without AVX2/AVX-512 — not a fair "
                "comparison; delete build/bench-venv and rerun")
    return info


_CRASHED = set()  # files on which llama.cpp died with its extra buffer types (AMX) on


def run_llama(model, threads, test, args, log):
    cmd = [sys.executable, str(HERE / "llama_driver.py"), "--model", str(model), "--threads",
           str(threads), "--test", test, "-p", str(args.prompt), "-n", str(args.gen),
           "-d", str(args.depth), "-r", str(args.repetitions)]
    if model in _CRASHED:
        cmd.append("--no-extra-bufts")
    proc = subprocess.run(cmd, capture_output=True, text=True)
    log.write("$ " + " ".join(cmd) + "\n" + proc.stderr + proc.stdout + "\n")
    log.flush()
    if proc.returncode < 0 and model not in _CRASHED:
        _CRASHED.add(model)
        # Killed by a signal. On this machine llama.cpp 0.3.36's AMX kernels
        # (ggml_backend_amx_mul_mat) segfault on Q8_0 / Q4_K weights: run it once more without
        # extra buffer types (AMX and weight repacking off, as llama-bench -nr 1).
        log.say(f"[llama.cpp] died by signal {-proc.returncode}; again without extra buffer "
                "types (no AMX, no repacking)")
        cmd.append("--no-extra-bufts")
        proc = subprocess.run(cmd, capture_output=True, text=True)
        log.write("$ " + " ".join(cmd) + "\n" + proc.stderr + proc.stdout + "\n")
        log.flush()
    if proc.returncode != 0 or not proc.stdout.strip():
        lines = proc.stderr.strip().splitlines()
        raise RuntimeError(f"llama_driver exited {proc.returncode}"
                           + (f" ({lines[-1]})" if lines else ""))
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    import statistics
    rates = result["rates"]
    result["mean"] = statistics.mean(rates)
    result["std"] = statistics.stdev(rates) if len(rates) > 1 else 0.0
    return result


def main(argv):
    args = parse_args(argv)
    import bandwidth
    import machine
    import model_bytes
    import r1_runner
    import report
    from models import FORMATS, Models

    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    log = Log(out / "vs-llamacpp.log")
    started = time.time()
    info = machine.describe(ROOT)
    info["command"] = args.command or "bench/vs-llamacpp " + " ".join(argv)
    info["tests"] = {"prompt": args.prompt, "gen": args.gen, "depth": args.depth,
                     "repetitions": args.repetitions}
    info["load_start"] = machine.load_average()
    log.say(f"[machine] {machine.one_line(info)}; load average {info['load_start']:.2f}; "
            f"{info['date']}; r1 {info['r1_commit']}")
    for f in args.formats:
        if f not in FORMATS:
            sys.exit(f"unknown format '{f}' (known: {', '.join(FORMATS)})")

    r1 = pathlib.Path(args.r1)
    if not r1.exists():
        log.say(f"[r1] building {r1}")
        subprocess.run(["cmake", "-S", str(ROOT), "-B", str(ROOT / "build"), "-G", "Ninja",
                        "-DCMAKE_BUILD_TYPE=Release"], check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["cmake", "--build", str(ROOT / "build"), "--target", "r1"], check=True)
    info["llama_system_info"] = llama_system_info(log)

    info["bandwidth"] = bandwidth.measure(args.threads, ROOT / "build")
    log.say("[bandwidth] read GB/s: " + ", ".join(
        f"{t} thread{'s' if t > 1 else ''} {g:.1f}" for t, g in info["bandwidth"].items()))

    models = Models(ROOT, str(r1), log.say)
    if not models.r1_can_quantize():
        log.say("[r1] `r1 quantize` is not there yet: no r1-made GGUF rows")
    config = models.hf("bf16") / "config.json"
    rows, notes = [], []
    r1_gguf_error = {}  # GGUF path -> why r1 could not run it

    def r1_target(label, path, fmt):
        """What r1 runs for this file: the GGUF itself, or while r1 cannot load it the
        safetensors checkpoint with the same weights (bf16/f16 only)."""
        if path not in r1_gguf_error:
            return path, None
        if "llama.cpp convert" in label:
            return models.hf(fmt), "hf-" + fmt + " (r1 make-random-model safetensors)"
        return None, None

    def write(partial):
        info["load_end"] = machine.load_average()
        info["minutes"] = (time.time() - started) / 60
        all_notes = list(notes)
        if partial:
            all_notes.insert(0, "PARTIAL: the run was still going when this was written")
        if not models.r1_can_quantize():
            all_notes.append("rows for files made by `r1 quantize` wait for that command "
                             "(`build/r1 quantize --help` fails)")
        all_notes += report.overhead_notes(rows)
        md = report.markdown(rows, all_notes, info, args)
        (out / "vs-llamacpp.md").write_text(md)
        (out / "vs-llamacpp.json").write_text(json.dumps(
            {"machine": info, "rows": rows, "notes": all_notes}, indent=1, default=str))
        if rows:
            report.chart(rows, info, args, out / "vs-llamacpp.png")
        return md

    for fmt in args.formats:
        try:
            files, file_notes = models.files(fmt)
            notes.extend(file_notes)
        except Exception as e:  # noqa: BLE001 — reported, then stop or go on
            notes.append(f"{fmt}: could not make the files: {e}")
            log.say(f"[models] {fmt}: {e}")
            if not args.keep_going:
                break
            continue
        for label, path in files:
            for threads in args.threads:
                for test in ("pp", "tg"):
                    row = {"format": fmt, "file": label, "path": str(path), "threads": threads,
                           "test": test, "load": machine.load_average(),
                           "name": (f"pp{args.prompt}" if test == "pp" else
                                    f"tg{args.gen} @ d{args.depth}")}
                    # r1 first, then llama.cpp: the engines alternate through the whole run.
                    for attempt in range(2):
                        target, r1_label = r1_target(label, path, fmt)
                        if target is None:
                            row["r1_error"] = r1_gguf_error[path]
                            break
                        try:
                            log.say(f"[r1] {label} {threads}t {row['name']} ({target.name})")
                            res = r1_runner.run(str(r1), target, threads, test, args.prompt,
                                                args.gen, args.depth, args.repetitions, log)
                            row["r1"] = res
                            row["r1_path"] = str(target)
                            row["r1_file"] = r1_label
                            break
                        except RuntimeError as e:
                            if target == path and path.suffix == ".gguf":
                                r1_gguf_error[path] = str(e)
                                log.say(f"[r1] cannot run {path.name}: {e}")
                                notes.append(f"r1 could not load {path.name} ({e})")
                                continue
                            row["r1_error"] = str(e)
                            log.say(f"[r1] failed: {e}")
                            if not args.keep_going:
                                raise
                            break
                    try:
                        log.say(f"[llama.cpp] {label} {threads}t {row['name']}")
                        row["llama"] = run_llama(path, threads, test, args, log)
                    except RuntimeError as e:
                        row["llama_error"] = str(e)
                        log.say(f"[llama.cpp] failed: {e}")
                        if not args.keep_going:
                            raise
                    report.finish_row(row, info, model_bytes, config, args)
                    log.say(report.row_line(row))
                    rows.append(row)
                    write(partial=True)  # a run cut short still leaves its rows

    # Bandwidth again at the end; the bound uses the better of the two (noise only lowers it).
    info["bandwidth_start"] = dict(info["bandwidth"])
    info["bandwidth_end"] = bandwidth.measure(args.threads, ROOT / "build")
    info["bandwidth"] = {t: max(g, info["bandwidth_end"][t]) for t, g in info["bandwidth"].items()}
    log.say("[bandwidth] at the end: " + ", ".join(
        f"{t}t {g:.1f}" for t, g in info["bandwidth_end"].items()) + " GB/s")
    for row in rows:
        report.finish_row(row, info, model_bytes, config, args)
    md = write(partial=False)
    print()
    print(md)
    log.say(f"[done] {info['minutes']:.1f} min; wrote {out}/vs-llamacpp.md, .png, .json, .log")


if __name__ == "__main__":
    main(sys.argv[1:])
