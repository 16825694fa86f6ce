"""Rebuilds vs-llamacpp.md and .png from a run's vs-llamacpp.json (after changing report.py):
  build/bench-venv/bin/python bench/vs_llamacpp/render.py build/bench-results/vs-llamacpp.json
"""
import json
import pathlib
import re
import sys
import types

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import report  # noqa: E402


def main(path):
    path = pathlib.Path(path)
    data = json.loads(path.read_text())
    info = data["machine"]
    for key in ("bandwidth", "bandwidth_start", "bandwidth_end"):
        if key in info:
            info[key] = {int(t): g for t, g in info[key].items()}
    tests = info.get("tests")
    if not tests:  # runs before the tests were stored: read them off the row names
        names = " ".join(r["name"] for r in data["rows"])
        reps = re.search(r"--repetitions (\d+)", info["command"])
        tests = {"prompt": int(re.search(r"pp(\d+)", names).group(1)),
                 "gen": int(re.search(r"tg(\d+)", names).group(1)),
                 "depth": int(re.search(r"@ d(\d+)", names).group(1)),
                 "repetitions": int(reps.group(1)) if reps else
                 (1 if "--quick" in info["command"] else 3)}
    args = types.SimpleNamespace(**tests)
    notes = [n for n in data["notes"] if not n.startswith(("Python overhead", "wall time",
                                                           "llama.cpp crashed"))]
    notes += report.overhead_notes(data["rows"])
    (path.parent / "vs-llamacpp.md").write_text(report.markdown(data["rows"], notes, info, args))
    report.chart(data["rows"], info, args, path.parent / "vs-llamacpp.png")
    print(f"wrote {path.parent}/vs-llamacpp.md and .png")


if __name__ == "__main__":
    main(sys.argv[1])
