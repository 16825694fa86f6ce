"""Starts the real `r1 serve` on a free loopback port with a tiny random model for the API tests.

R1_BINARY points at the program (default build/r1). Each server fixture makes its own model
folder under the pytest temp dir and stops the server (SIGTERM) afterwards, checking exit 0.
"""
import http.client
import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BINARY = Path(os.environ.get("R1_BINARY", ROOT / "build" / "r1"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, model, extra_args, tmp):
        self.port = free_port()
        self.log_path = tmp / f"server-{self.port}.log"
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [str(BINARY), "serve", "--model", str(model), "--port", str(self.port),
             "--threads", "1", "--data-dir", str(tmp / "data"), *extra_args],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("r1 serve exited early:\n" + self.log_path.read_text())
            try:
                status, _, _ = self.request("GET", "/health")
                if status == 200:
                    break
            except OSError:
                pass
            if time.time() > deadline:
                raise RuntimeError("r1 serve did not become healthy:\n" + self.log_path.read_text())
            time.sleep(0.1)
        self.base_url = f"http://127.0.0.1:{self.port}/v1"

    def request(self, method, path, body=None, headers=None, raw=None):
        """Returns (status, headers dict (lower-case names), body bytes)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        h = {"Content-Type": "application/json"}
        h.update(headers or {})
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        conn.request(method, path, body=data, headers=h)
        resp = conn.getresponse()
        payload = resp.read()
        result = (resp.status, {k.lower(): v for k, v in resp.getheaders()}, payload)
        conn.close()
        return result

    def json(self, method, path, body=None, headers=None):
        status, _, payload = self.request(method, path, body, headers)
        return status, json.loads(payload) if payload else None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                code = self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                raise
            assert code == 0, "r1 serve did not exit 0 after SIGTERM:\n" + self.log_path.read_text()
        self.log.close()


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("model") / "qwen2-tiny"
    subprocess.run([str(BINARY), "make-random-model", "--preset", "qwen2-tiny", "--dtype", "f32",
                    "--seed", "7", "--out", str(folder)], check=True, capture_output=True)
    return folder


@pytest.fixture(scope="session")
def server(tiny_model, tmp_path_factory):
    s = Server(tiny_model, ["--parallel", "8", "--ctx-size", "512", "--max-body", "65536"],
               tmp_path_factory.mktemp("srv"))
    yield s
    s.stop()


@pytest.fixture(scope="session")
def client(server):
    from openai import OpenAI
    return OpenAI(base_url=server.base_url, api_key="unused", max_retries=0, timeout=120)
