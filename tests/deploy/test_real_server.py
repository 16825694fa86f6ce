"""docker/entrypoint.sh with the real r1: it starts `r1 serve` from the environment, its
`healthcheck` mode (the images' HEALTHCHECK, bash's /dev/tcp) follows GET /health, and SIGTERM
to the container's process stops r1 with exit 0. Also: the metric hpa.yaml scales on exists."""
import http.client
import http.server
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
import yaml

from conftest import ENTRYPOINT, ROOT, free_port


def healthcheck(env):
    return subprocess.run(["bash", str(ENTRYPOINT), "healthcheck"], env=env,
                          capture_output=True, text=True, timeout=30)


@pytest.fixture(scope="module")
def model(r1_binary, tmp_path_factory):
    out = tmp_path_factory.mktemp("model") / "qwen2-tiny"
    subprocess.run([str(r1_binary), "make-random-model", "--preset", "qwen2-tiny", "--dtype",
                    "f32", "--seed", "3", "--out", str(out)], check=True, capture_output=True,
                   timeout=120)
    yield out
    shutil.rmtree(out, ignore_errors=True)  # 86 MB; pytest keeps its last temp folders


@pytest.fixture(scope="module")
def server(r1_binary, model, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("server")
    port = free_port()
    env = {"PATH": f"{r1_binary.parent}:/usr/bin:/bin", "HOME": str(tmp / "home"),
           "TMPDIR": str(tmp), "R1_MODEL": str(model), "R1_HOST": "127.0.0.1",
           "R1_PORT": str(port), "R1_THREADS": "1", "R1_DATA_DIR": str(tmp / "data"),
           "R1_CGROUP_ROOT": str(tmp / "no-cgroup")}
    before = healthcheck(env)
    log = open(tmp / "server.log", "w")
    proc = subprocess.Popen(["bash", str(ENTRYPOINT)], env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    while healthcheck(env).returncode != 0:
        assert proc.poll() is None, (tmp / "server.log").read_text()
        assert time.time() < deadline, "never healthy:\n" + (tmp / "server.log").read_text()
        time.sleep(0.2)
    yield {"proc": proc, "env": env, "port": port, "before": before, "log": tmp / "server.log"}
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    log.close()


def get(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path)
    resp = conn.getresponse()
    body = resp.read().decode()
    conn.close()
    return resp.status, body


def test_healthcheck_fails_while_nothing_listens(server):
    assert server["before"].returncode == 1
    assert "nothing listens on 127.0.0.1:" in server["before"].stderr


def test_healthy_server_answers_through_the_entrypoint(server):
    assert get(server["port"], "/health") == (200, '{"status":"ok"}')
    result = healthcheck(server["env"])
    assert result.returncode == 0, result.stderr


def test_the_hpa_metric_is_exported(server):
    hpa = yaml.safe_load((ROOT / "deploy" / "k8s" / "hpa.yaml").read_text())
    metric = hpa["spec"]["metrics"][0]["pods"]["metric"]["name"]
    status, body = get(server["port"], "/metrics")
    assert status == 200
    names = {line.split()[2] for line in body.splitlines() if line.startswith("# TYPE ")}
    assert metric in names, f"{metric} is not among r1's metrics: {sorted(names)}"


class _Status503(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        self.send_response(503 if self.path == "/health" else 404)
        self.send_header("Retry-After", "2")
        self.end_headers()
        self.wfile.write(b'{"status":"loading"}')

    def log_message(self, *args):
        pass


def test_healthcheck_fails_on_503_loading(tmp_path):
    """r1 answers /health with 503 while the model loads: not healthy yet."""
    httpd = http.server.HTTPServer(("127.0.0.1", 0), _Status503)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        env = {"PATH": "/usr/bin:/bin", "R1_PORT": str(httpd.server_port), "R1_HOST": "0.0.0.0"}
        result = healthcheck(env)
        assert result.returncode == 1
        assert "GET /health: HTTP/1.0 503" in result.stderr
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_sigterm_stops_r1_with_exit_0(server):
    # Runs last in this module: stops the server.
    proc = server["proc"]
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0, server["log"].read_text()
    log = server["log"].read_text()
    assert "SIGTERM received" in log
    assert healthcheck(server["env"]).returncode == 1
