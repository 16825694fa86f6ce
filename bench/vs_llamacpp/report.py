"""The benchmark's table (markdown), its notes and its chart (PNG)."""
import statistics

GIB = 1024**3
MB = 1e6
HEADER = ["format", "file (made by)", "threads", "test", "r1 tok/s", "llama.cpp tok/s",
          "r1 / llama.cpp", "r1 % of bound", "llama.cpp % of bound", "r1 peak RSS",
          "llama.cpp peak RSS", "load"]


def finish_row(row, info, model_bytes, config, args):
    """Adds ratio, bandwidth bound and RSS budget to a measured row."""
    bandwidth = info["bandwidth"][row["threads"]] * 1e9
    for engine, path_key, kv_positions, kv_value_bytes in (
            ("r1", "r1_path", None, 4), ("llama", "path", None, 2)):
        res = row.get(engine)
        if not res:
            continue
        path = row[path_key]
        res["file_bytes"] = model_bytes.file_size(path)
        res["bytes_per_token"] = model_bytes.bytes_per_token(path)
        if row["test"] == "tg":
            res["bound"] = bandwidth / res["bytes_per_token"]
            res["pct_bound"] = 100 * res["mean"] / res["bound"]
        # r1 keeps an fp32 cache of exactly the tokens the test needs; llama.cpp an f16 cache
        # of n_ctx positions.
        positions = res.get("n_ctx") or (args.prompt if row["test"] == "pp"
                                         else args.depth + args.gen)
        res["kv_bytes"] = model_bytes.kv_bytes(config, positions, kv_value_bytes)
        res["rss_budget"] = res["file_bytes"] + res["kv_bytes"] + 300 * MB
    if row.get("r1") and row.get("llama"):
        row["ratio"] = row["r1"]["mean"] / row["llama"]["mean"]


def _rate(res):
    return f"{res['mean']:.2f} ± {res['std']:.2f}" if res else "—"


def _pct(res):
    return f"{res['pct_bound']:.0f} %" if res and "pct_bound" in res else "-"


def _rss(res):
    return f"{res['peak_rss'] / GIB:.2f} GiB" if res else "—"


def cells(row):
    r1, ll = row.get("r1"), row.get("llama")
    file = row["file"] + (f"; r1 ran {row['r1_file']}" if row.get("r1_file") else "")
    return [row["format"], file, str(row["threads"]), row["name"], _rate(r1), _rate(ll),
            f"{row['ratio']:.2f}×" if "ratio" in row else "—", _pct(r1), _pct(ll), _rss(r1),
            _rss(ll), f"{row['load']:.1f}"]


def row_line(row):
    return "  -> " + " | ".join(cells(row))


def overhead_notes(rows):
    stub = [r["llama"]["python_stub_us"] for r in rows if r.get("llama")]
    gap = [(r["llama"]["python_gap_us"], r["llama"]["eval_ms_per_token"]) for r in rows
           if r.get("llama") and "python_gap_us" in r["llama"]]
    notes = []
    plain = sorted({r["file"] for r in rows if r.get("llama") and not r["llama"].get("extra_bufts", True)})
    if plain:
        notes.append("llama.cpp crashed (SIGSEGV in ggml_backend_amx_mul_mat, its AMX kernels) "
                     "on " + ", ".join(plain) + "; those rows ran llama.cpp without extra "
                     "buffer types (no AMX, no weight repacking; llama-bench -nr 1)")
    if stub:
        notes.append(f"Python overhead of the llama.cpp driver per decode call: "
                     f"{statistics.median(stub):.1f} µs to fill the batch and make one ctypes "
                     f"call (timed around llama_n_ctx)")
    if gap:
        g = statistics.median(x for x, _ in gap)
        ms = statistics.median(y for _, y in gap)
        notes.append(f"wall time per decode call minus llama.cpp's own eval time "
                     f"(llama_perf_context): {g:.0f} µs, against {ms:.0f} ms per token "
                     f"({100 * g / (ms * 1e3):.2f} %)")
    return notes


def _goals(rows):
    lines = []
    for row in rows:
        r1 = row.get("r1")
        if not r1:
            continue
        what = f"{row['file']}, {row['threads']}t, {row['name']}"
        if row["test"] == "tg" and "pct_bound" in r1:
            ok = r1["pct_bound"] >= 90
            lines.append(f"| {what} | decode ≥ 90 % of bound | {r1['pct_bound']:.0f} % | "
                         f"{'yes' if ok else 'no'} |")
        if row["test"] == "pp" and row["format"] == "bf16" and "ratio" in row:
            lines.append(f"| {what} | prefill ≥ 8× llama.cpp | {row['ratio']:.2f}× | "
                         f"{'yes' if row['ratio'] >= 8 else 'no'} |")
        ok = r1["peak_rss"] <= r1["rss_budget"]
        lines.append(f"| {what} | peak RSS ≤ file + KV + 300 MB "
                     f"({r1['rss_budget'] / GIB:.2f} GiB) | {r1['peak_rss'] / GIB:.2f} GiB | "
                     f"{'yes' if ok else 'no'} |")
    return lines


def markdown(rows, notes, info, args):
    bw = ", ".join(f"{t} thread{'s' if t > 1 else ''}: {g:.1f} GB/s"
                   for t, g in info["bandwidth"].items())
    out = ["# r1 vs llama.cpp", "",
           f"- machine: {info['cpu']}, {info['cpus']} CPUs ({info['simd']}), "
           f"{info['memory_gib']:.0f} GiB, Linux {info['kernel']}",
           f"- date: {info['date']}; r1 commit {info['r1_commit']}; "
           f"{info['minutes']:.0f} minutes",
           f"- command: `{info['command']}`",
           f"- load average (1 min): {info['load_start']:.2f} at the start, "
           f"{info['load_end']:.2f} at the end (column `load`: before each row)",
           f"- read bandwidth (STREAM-like, best of 6 passes over 2 GiB, the better of the "
           f"runs before and after the benchmark): {bw}" + (
               " (before: " + ", ".join(f"{t}t {g:.1f}" for t, g in info["bandwidth_start"].items())
               + "; after: " + ", ".join(f"{t}t {g:.1f}" for t, g in info["bandwidth_end"].items())
               + ")" if "bandwidth_end" in info else ""),
           f"- llama.cpp: {info['llama_system_info']}",
           f"- tests: pp{args.prompt} = prefill of {args.prompt} tokens in one batch from an "
           f"empty cache; tg{args.gen} @ d{args.depth} = {args.gen} one-token decode steps "
           f"after {args.depth} cached tokens; mean ± std of {args.repetitions} runs after a "
           f"warm-up; bound = bandwidth / bytes of weights read per token (all but the token "
           f"embedding)", "",
           "| " + " | ".join(HEADER) + " |",
           "|" + "|".join("---" if i < 2 else "---:" for i in range(len(HEADER))) + "|"]
    out += ["| " + " | ".join(cells(r)) + " |" for r in rows]
    goals = _goals(rows)
    if goals:
        out += ["", "| r1 row | goal | measured | met |", "|---|---|---:|---|"] + goals
    def new(message):  # an error already in the notes (r1 could not load X) is not repeated
        return message and not any(message in n for n in notes)

    errors = [f"{r['file']} {r['threads']}t {r['name']}:"
              f"{' r1: ' + r['r1_error'] if new(r.get('r1_error')) else ''}"
              f"{' llama.cpp: ' + r['llama_error'] if new(r.get('llama_error')) else ''}"
              for r in rows if new(r.get("r1_error")) or new(r.get("llama_error"))]
    notes = list(dict.fromkeys(notes + errors))
    if notes:
        out += [""] + [f"- {n}" for n in notes]
    out += ["", "![r1 vs llama.cpp](vs-llamacpp.png)", ""]
    return "\n".join(out)


def chart(rows, info, args, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = max(len([r for r in rows if r["test"] == t]) for t in ("pp", "tg"))
    fig, axes = plt.subplots(2, 1, figsize=(max(9.0, 1.25 * groups + 2), 10))
    for ax, test, title in ((axes[0], "pp", f"prefill pp{args.prompt}"),
                            (axes[1], "tg", f"decode tg{args.gen} @ d{args.depth}")):
        group = [r for r in rows if r["test"] == test]
        labels = [f"{r['file'].split(' (')[0]}\n{r['file'].split(' (')[1].rstrip(')')}\n"
                  f"{r['threads']} thread{'s' if r['threads'] > 1 else ''}"
                  + ("\n(r1: safetensors)" if r.get("r1_file") else "") for r in group]
        x = range(len(group))
        w = 0.38
        r1v = [r["r1"]["mean"] if r.get("r1") else 0 for r in group]
        r1e = [r["r1"]["std"] if r.get("r1") else 0 for r in group]
        llv = [r["llama"]["mean"] if r.get("llama") else 0 for r in group]
        lle = [r["llama"]["std"] if r.get("llama") else 0 for r in group]
        ax.bar([i - w / 2 for i in x], r1v, w, yerr=r1e, label="r1", color="#d1495b", capsize=3)
        ax.bar([i + w / 2 for i in x], llv, w, yerr=lle, label="llama.cpp", color="#00798c",
               capsize=3)
        top = max(r1v + llv + [1e-9])
        bounds = [(r.get("llama") or r.get("r1") or {}).get("bound") if test == "tg" else None
                  for r in group]
        top = max([top] + [b for b in bounds if b])
        for i, r in enumerate(group):
            if bounds[i]:
                ax.hlines(bounds[i], i - 0.45, i + 0.45, colors="black", linestyles="dashed",
                          label="bandwidth bound" if i == 0 else None)
            if "ratio" in r:
                ax.text(i, max(r1v[i] + r1e[i], llv[i] + lle[i], bounds[i] or 0) + top * 0.03,
                        f"{r['ratio']:.2f}×", ha="center", fontsize=9, fontweight="bold")
            elif not r.get("r1"):
                ax.text(i - w / 2, top * 0.02, "r1: n/a", ha="center", fontsize=8, rotation=90)
        ax.set_ylim(0, top * 1.18)
        ax.set_xticks(list(x))
        ax.set_xticklabels(labels, fontsize=8)
        ax.set_ylabel("tokens / s (higher is better)")
        ax.set_title(title)
        ax.grid(axis="y", alpha=0.3)
        ax.legend(fontsize=8, loc="upper right")
    fig.suptitle(f"r1 vs llama.cpp — DeepSeek-R1-Distill-Qwen-1.5B shape, random weights\n"
                 f"{info['cpu']}, {info['cpus']} CPUs, {info['date']} "
                 f"(bold: r1 tok/s ÷ llama.cpp tok/s)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
