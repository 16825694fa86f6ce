"""Shared helpers of the Docker / Kubernetes checks (tests/deploy).

R1_BINARY points at the program (default build/r1). Nothing here needs a Docker engine or the
network: the files are linted and schema-checked, and docker/entrypoint.sh runs here, against a
fake `r1` that records what it was given and against the real one.
"""
import os
import re
import shutil
import socket
import subprocess
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BINARY = Path(os.environ.get("R1_BINARY", ROOT / "build" / "r1"))
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"
RUNTIME_PACKAGES = ROOT / "docker" / "runtime-packages.sh"
DOCKERFILES = [ROOT / "Dockerfile", ROOT / "Dockerfile.cuda"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tool(name):
    """A tool from the deploy venv or PATH (the Makefile puts the venv first on PATH)."""
    path = shutil.which(name)
    assert path, f"{name} not found: run the tests through `make deploy-test`, which installs it"
    return path


# A stand-in for r1: writes its pid, argv, the R1_* / HF_* environment and the content of an
# --api-key-file as JSON to $FAKE_R1_RECORD; with FAKE_R1_WAIT=1 it then waits for SIGTERM and
# exits 0 as r1 serve does, writing "SIGTERM" to $FAKE_R1_RECORD.signal.
FAKE_R1 = textwrap.dedent("""\
    #!/usr/bin/env python3
    import json, os, signal, sys, time
    args = sys.argv[1:]
    key = None
    if "--api-key-file" in args:
        path = args[args.index("--api-key-file") + 1]
        st = os.stat(path)
        key = {"content": open(path).read(), "mode": oct(st.st_mode & 0o777)}
    env = {k: v for k, v in os.environ.items() if k.startswith(("R1_", "HF_"))}
    record = os.environ["FAKE_R1_RECORD"]
    with open(record + ".tmp", "w") as f:
        json.dump({"pid": os.getpid(), "args": args, "env": env, "key": key}, f)
    os.rename(record + ".tmp", record)
    if os.environ.get("FAKE_R1_WAIT") == "1":
        def stop(signum, frame):
            open(record + ".signal", "w").write(signal.Signals(signum).name)
            sys.exit(0)
        signal.signal(signal.SIGTERM, stop)
        while True:
            time.sleep(0.05)
    """)


def install_fake_r1(folder):
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    fake = folder / "r1"
    fake.write_text(FAKE_R1)
    fake.chmod(0o755)
    return folder


def base_env(tmp, fake_bin):
    """A clean environment as the image sets it, with the fake r1 first on PATH."""
    return {
        "PATH": f"{fake_bin}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(tmp / "home"),
        "TMPDIR": str(tmp),
        "FAKE_R1_RECORD": str(tmp / "record.json"),
        # No quota: the thread count of the machine running the tests must not leak in.
        "R1_CGROUP_ROOT": str(tmp / "no-cgroup"),
    }


def dockerfile_stages(path):
    """[(from line, [instructions])] of a Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", Path(path).read_text())
    stages = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word = line.split(None, 1)[0].upper()
        if word == "FROM":
            stages.append((line, []))
        elif stages:
            stages[-1][1].append(line)
    return stages


@pytest.fixture(scope="session")
def r1_binary():
    assert BINARY.is_file(), f"{BINARY} not found: build it first (make build)"
    return BINARY
