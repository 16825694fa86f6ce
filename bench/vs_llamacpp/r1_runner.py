"""The r1 side: runs `build/r1 bench` for one test and thread count and parses its table."""
import re
import subprocess

_UNITS = {"B": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3}


def parse_table(text):
    """Rows of r1 bench's llama-bench-style markdown table, as dicts keyed by the header."""
    lines = [l for l in text.splitlines() if l.startswith("|")]
    if len(lines) < 3:
        return []
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    rows = []
    for line in lines[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows.append(dict(zip(header, cells)))
    return rows


def _bytes(cell):
    value, unit = cell.split()
    return float(value) * _UNITS[unit]


def run(r1, model, threads, test, p, n, d, repetitions, log):
    """One r1 bench process (so its peak RSS is this test's alone). Returns a result dict like
    llama_driver's, or raises RuntimeError with r1's message."""
    args = [r1, "bench", "--model", str(model), "-t", str(threads), "-r", str(repetitions)]
    args += ["-p", str(p), "-n", "0"] if test == "pp" else ["-p", "0", "-n", str(n), "-d", str(d)]
    proc = subprocess.run(args, capture_output=True, text=True)
    log.write("$ " + " ".join(args) + "\n" + proc.stdout + proc.stderr + "\n")
    log.flush()
    rows = parse_table(proc.stdout)
    if proc.returncode != 0 or not rows:
        message = (proc.stderr.strip() or proc.stdout.strip()).splitlines()
        raise RuntimeError(message[-1] if message else f"r1 bench exited {proc.returncode}")
    row = rows[-1]
    mean, std = (float(x) for x in re.findall(r"[0-9.]+", row["t/s"])[:2])
    result = {"engine": "r1", "test": test, "threads": threads, "mean": mean, "std": std,
              "peak_rss": _bytes(row["peak RSS"]), "backend": row.get("backend", ""),
              "model_name": row.get("model", "")}
    if test == "tg" and row.get("GB/s", "-") != "-":
        result["reported_bytes_per_token"] = float(row["GB/s"]) * 1e9 / mean
    return result
