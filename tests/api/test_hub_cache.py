"""The cache `r1 pull` writes is the one huggingface_hub writes and reads.

A small hub on loopback (the protocol huggingface_hub speaks: the repo API, HEAD on resolve with
X-Repo-Commit / ETag / X-Linked-Etag / X-Linked-Size, LFS files redirected to a CDN path, Range)
serves one repo. huggingface_hub's own snapshot_download fills one cache from it, `r1 pull`
another: the two trees must be the same, and huggingface_hub must find r1's files offline
(try_to_load_from_cache, scan_cache_dir, snapshot_download(local_files_only=True)).
"""
import hashlib
import json
import os
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import BINARY

REPO = "fixture-org/layout-check"
COMMIT = "fedcba9876543210fedcba9876543210fedcba98"
WEIGHTS = bytes((i * 7 + (i >> 9)) & 0xFF for i in range(200_000))
FILES = {
    # path: (content, LFS?)
    "config.json": (b'{"model_type": "qwen2"}\n', False),
    "tokenizer_config.json": (b"{}\n", False),
    "model.safetensors": (WEIGHTS, True),
    "sub/dir/notes.txt": (b"nested\n", False),
}


def git_blob_id(content):
    """The git blob sha1 the hub uses as the ETag of a file that is not in LFS."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def etag_of(path):
    content, lfs = FILES[path]
    return hashlib.sha256(content).hexdigest() if lfs else git_blob_id(content)


class Hub(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, headers, body=b""):
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        endpoint = f"http://127.0.0.1:{self.server.server_port}"
        api = f"/api/models/{REPO}/revision/"
        resolve = f"/{REPO}/resolve/"
        if path.startswith(api):
            siblings = [{"rfilename": name} for name in FILES]
            body = json.dumps({"id": REPO, "sha": COMMIT, "siblings": siblings}).encode()
            return self.send(200, {"Content-Type": "application/json"}, body)
        if path.startswith(resolve):
            revision, _, name = path[len(resolve):].partition("/")
            if revision not in ("main", COMMIT) or name not in FILES:
                return self.send(404, {"X-Error-Code": "EntryNotFound"})
            content, lfs = FILES[name]
            headers = {"X-Repo-Commit": COMMIT}
            if lfs:
                headers.update({"Location": f"{endpoint}/cdn/{etag_of(name)}",
                                "X-Linked-Etag": f'"{etag_of(name)}"',
                                "X-Linked-Size": str(len(content)), "ETag": '"redirect"'})
                return self.send(302, headers)
            headers["ETag"] = f'"{etag_of(name)}"'
            return self.send(200, headers, content)
        if path.startswith("/cdn/"):
            for name, (content, lfs) in FILES.items():
                if lfs and etag_of(name) == path[5:]:
                    start = 0
                    if self.headers.get("Range", "").startswith("bytes="):
                        start = int(self.headers["Range"][6:].split("-")[0])
                    if start:
                        return self.send(206, {"Content-Range": f"bytes {start}-{len(content) - 1}/{len(content)}"},
                                         content[start:])
                    return self.send(200, {}, content)
        return self.send(404, {})


@pytest.fixture(scope="module")
def hub():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def tree(cache):
    """Every path under the repo folder: links with their targets, files with their bytes."""
    root = cache / ("models--" + REPO.replace("/", "--"))
    result = {}
    for path in sorted(root.rglob("*")):
        relative = str(path.relative_to(root))
        if path.is_symlink():
            result[relative] = ("link", os.readlink(path))
        elif path.is_file():
            result[relative] = ("file", path.read_bytes())
        else:
            result[relative] = ("folder",)
    return result


def r1_pull(hub, cache):
    environment = dict(os.environ, HF_ENDPOINT=hub, HF_HUB_CACHE=str(cache),
                       HF_TOKEN_PATH=str(cache / "no-token"))
    environment.pop("HF_TOKEN", None)
    environment.pop("HF_HUB_OFFLINE", None)
    done = subprocess.run([str(BINARY), "pull", REPO], env=environment, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return Path(done.stdout.strip())


def test_r1_pull_writes_what_huggingface_hub_writes(hub, tmp_path):
    from huggingface_hub import snapshot_download

    reference = tmp_path / "huggingface_hub"
    expected_snapshot = snapshot_download(REPO, cache_dir=reference, endpoint=hub, token=False)
    ours = tmp_path / "r1"
    snapshot = r1_pull(hub, ours)
    assert snapshot == ours / ("models--" + REPO.replace("/", "--")) / "snapshots" / COMMIT
    assert Path(expected_snapshot).relative_to(reference) == snapshot.relative_to(ours)
    assert tree(ours) == tree(reference)


def test_huggingface_hub_reads_the_cache_r1_wrote(hub, tmp_path):
    from huggingface_hub import scan_cache_dir, snapshot_download, try_to_load_from_cache

    cache = tmp_path / "cache"
    snapshot = r1_pull(hub, cache)
    for name, (content, _) in FILES.items():
        found = try_to_load_from_cache(REPO, name, cache_dir=cache)
        assert isinstance(found, str), name
        assert Path(found) == snapshot / name
        assert Path(found).read_bytes() == content

    info = scan_cache_dir(cache)
    assert not info.warnings, info.warnings
    (repo,) = info.repos
    assert repo.repo_id == REPO and repo.repo_type == "model"
    (revision,) = repo.revisions
    assert revision.commit_hash == COMMIT
    assert revision.refs == frozenset({"main"})
    assert {f.file_name for f in revision.files} == {"config.json", "tokenizer_config.json",
                                                     "model.safetensors", "notes.txt"}
    assert repo.size_on_disk == sum(len(content) for content, _ in FILES.values())

    assert Path(snapshot_download(REPO, cache_dir=cache, local_files_only=True)) == snapshot
