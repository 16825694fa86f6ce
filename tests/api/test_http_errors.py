"""Every error the API promises, through raw HTTP: status, OpenAI error object, and that the
server keeps serving normal requests afterwards."""
import json
import socket
import time

import pytest

from conftest import Server

OK_BODY = {"model": "any", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2,
           "temperature": 0}


def assert_still_serving(server):
    status, body = server.json("POST", "/v1/chat/completions", OK_BODY)
    assert status == 200, body
    assert body["choices"][0]["message"]["role"] == "assistant"


def error_of(server, method, path, body=None, raw=None, headers=None):
    status, hdrs, payload = server.request(method, path, body=body, raw=raw, headers=headers)
    parsed = json.loads(payload)
    assert set(parsed) == {"error"}, parsed
    assert set(parsed["error"]) >= {"message", "type", "param", "code"}, parsed
    assert parsed["error"]["message"]
    return status, parsed["error"], hdrs


CASES = [
    ("malformed json", dict(raw=b'{"model": "any", "messages": ['), 400, None),
    ("not an object", dict(raw=b'[1, 2, 3]'), 400, None),
    ("empty messages", dict(body={"model": "any", "messages": []}), 400, "messages"),
    ("unknown role", dict(body={"messages": [{"role": "wizard", "content": "x"}]}), 400,
     "messages[0].role"),
    ("wrong type", dict(body={**OK_BODY, "temperature": "hot"}), 400, "temperature"),
    ("out of range", dict(body={**OK_BODY, "temperature": 7}), 400, "temperature"),
    ("top_p out of range", dict(body={**OK_BODY, "top_p": 0}), 400, "top_p"),
    ("max_tokens zero", dict(body={**OK_BODY, "max_tokens": 0}), 400, "max_tokens"),
    ("invalid utf-8", dict(raw=b'{"messages": [{"role": "user", "content": "\xff\xfe"}]}'), 400,
     None),
    ("json schema", dict(body={**OK_BODY, "response_format": {"type": "json_schema",
                                                               "json_schema": {"name": "x"}}}),
     400, "response_format"),
]


@pytest.mark.parametrize("name,kwargs,status,param", CASES, ids=[c[0] for c in CASES])
def test_bad_request_is_400_naming_the_param(server, name, kwargs, status, param):
    got, error, _ = error_of(server, "POST", "/v1/chat/completions", **kwargs)
    assert got == status, error
    assert error["type"] == "invalid_request_error"
    if param is not None:
        assert error["param"] == param or error["param"].startswith(param + "."), error
    assert_still_serving(server)


def test_wrong_content_type_is_400(server):
    got, error, _ = error_of(server, "POST", "/v1/chat/completions",
                             raw=json.dumps(OK_BODY).encode(), headers={"Content-Type": "text/plain"})
    assert got == 400, error
    assert_still_serving(server)


def test_context_length_exceeded_names_the_numbers(server):
    body = {**OK_BODY, "messages": [{"role": "user", "content": "word " * 400}], "max_tokens": 300}
    got, error, _ = error_of(server, "POST", "/v1/chat/completions", body=body)
    assert got == 400
    assert error["code"] == "context_length_exceeded"
    assert "512" in error["message"]
    assert_still_serving(server)


def test_body_over_the_limit_is_413(server):
    body = {**OK_BODY, "messages": [{"role": "user", "content": "x" * 70000}]}
    status, _, _ = server.request("POST", "/v1/chat/completions", body=body)
    assert status == 413
    assert_still_serving(server)


def test_too_many_header_bytes_is_431(server):
    headers = {f"X-Filler-{i}": "a" * 4000 for i in range(10)}
    got, error, _ = error_of(server, "POST", "/v1/chat/completions", body=OK_BODY,
                             headers=headers)
    assert got == 431, error
    assert_still_serving(server)


def test_unknown_route_is_404_and_wrong_method_405(server):
    got, error, _ = error_of(server, "GET", "/v1/nothing-here")
    assert got == 404
    got, error, _ = error_of(server, "GET", "/v1/chat/completions")
    assert got == 405
    assert_still_serving(server)


def test_health_tokenize_detokenize(server):
    status, body = server.json("GET", "/health")
    assert status == 200
    status, ids = server.json("POST", "/tokenize", {"content": "Hello world", "add_special": False})
    assert status == 200 and ids["tokens"]
    status, text = server.json("POST", "/detokenize", {"tokens": ids["tokens"]})
    assert status == 200 and text["content"] == "Hello world"


def metric(server, name):
    status, _, payload = server.request("GET", "/metrics")
    assert status == 200
    for line in payload.decode().splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not in /metrics:\n{payload.decode()}")


def test_disconnect_mid_stream_frees_the_sequence(server):
    body = {**OK_BODY, "max_tokens": 400, "stream": True}
    sock = socket.create_connection(("127.0.0.1", server.port))
    payload = json.dumps(body).encode()
    sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json"
                 b"\r\nContent-Length: " + str(len(payload)).encode() + b"\r\n\r\n" + payload)
    received = b""
    while received.count(b"data:") < 3:
        received += sock.recv(4096)
    sock.close()
    deadline = time.time() + 20
    while metric(server, "r1_active_sequences") != 0:
        assert time.time() < deadline, "the cancelled stream still holds its sequence"
        time.sleep(0.1)
    assert metric(server, "r1_kv_blocks_used") == 0
    assert metric(server, "r1_kv_blocks_cached") > 0, "the computed prefix stays as prefix cache"
    assert_still_serving(server)


def test_requests_wait_for_kv_blocks_when_the_pool_is_full(tiny_model, tmp_path):
    # Four slots but a pool of one context (256 positions = 8 blocks): requests that may reach
    # ~120 positions (4 blocks) run two at a time, the others wait; all of them succeed.
    import concurrent.futures
    s = Server(tiny_model, ["--parallel", "4", "--ctx-size", "256", "--kv-cache-tokens", "256"],
               tmp_path)
    try:
        body = {**OK_BODY, "max_tokens": 100}
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            results = list(pool.map(lambda _: s.json("POST", "/v1/chat/completions", body), range(4)))
        for status, answer in results:
            assert status == 200, answer
            assert answer["usage"]["completion_tokens"] > 0
        assert metric(s, "r1_kv_blocks_used") == 0
        assert metric(s, "r1_kv_blocks_free") + metric(s, "r1_kv_blocks_cached") == 8
    finally:
        s.stop()


def test_a_kv_pool_smaller_than_one_context_is_refused(tiny_model):
    import subprocess
    from conftest import BINARY
    p = subprocess.run([str(BINARY), "serve", "--model", str(tiny_model), "--port", "0",
                        "--ctx-size", "256", "--kv-cache-tokens", "100"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2
    assert "--kv-cache-tokens 100" in p.stderr and "256" in p.stderr


@pytest.mark.parametrize("fraction", ["0", "1.5", "half"])
def test_a_gpu_memory_fraction_outside_0_to_1_is_refused_before_loading(tiny_model, fraction):
    import subprocess
    from conftest import BINARY
    p = subprocess.run([str(BINARY), "serve", "--model", str(tiny_model), "--port", "0",
                        "--gpu-memory-fraction", fraction],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2
    assert "--gpu-memory-fraction must be a number above 0 and at most 1" in p.stderr
    assert f"'{fraction}'" in p.stderr
    assert "loading" not in p.stderr  # refused before the model was read


def test_api_key_is_required_when_set(tiny_model, tmp_path):
    s = Server(tiny_model, ["--parallel", "1", "--api-key", "s3cret"], tmp_path)
    try:
        got, error, _ = error_of(s, "POST", "/v1/chat/completions", body=OK_BODY)
        assert got == 401
        got, error, _ = error_of(s, "POST", "/v1/chat/completions", body=OK_BODY,
                                 headers={"Authorization": "Bearer wrong"})
        assert got == 401
        status, _, _ = s.request("GET", "/health")
        assert status == 200
        status, _, _ = s.request("POST", "/v1/chat/completions", body=OK_BODY,
                                 headers={"Authorization": "Bearer s3cret"})
        assert status == 200
    finally:
        s.stop()


def test_overload_is_503_with_retry_after(tiny_model, tmp_path):
    s = Server(tiny_model, ["--parallel", "1", "--max-queue", "1", "--ctx-size", "4096"], tmp_path)
    try:
        long_body = json.dumps({**OK_BODY, "max_tokens": 4000, "stream": True}).encode()
        socks = []
        for _ in range(2):  # one runs, one waits in the queue
            sock = socket.create_connection(("127.0.0.1", s.port))
            sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                         b"application/json\r\nContent-Length: " + str(len(long_body)).encode() +
                         b"\r\n\r\n" + long_body)
            socks.append(sock)
            time.sleep(0.3)
        got, error, headers = error_of(s, "POST", "/v1/chat/completions", body=OK_BODY)
        assert got == 503, error
        assert "retry-after" in headers
        for sock in socks:
            sock.close()
    finally:
        s.stop()


def test_port_in_use_is_a_one_line_error(tiny_model, server, tmp_path):
    import subprocess
    from conftest import BINARY
    p = subprocess.run([str(BINARY), "serve", "--model", str(tiny_model), "--port",
                        str(server.port)], capture_output=True, text=True, timeout=60)
    assert p.returncode != 0
    assert str(server.port) in p.stderr
    assert "in use" in p.stderr
