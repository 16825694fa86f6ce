"""Lints: hadolint on both Dockerfiles, shellcheck on the scripts, docker-compose's own schema
check on docker-compose.yml, and the compose file's services as README "Docker" describes them."""
import re
import subprocess

import pytest
import yaml

from conftest import DOCKERFILES, ROOT, dockerfile_stages, tool


def hadolint(path):
    # Every finding fails, style included; the Dockerfiles' inline ignores say why.
    return subprocess.run([tool("hadolint"), "--no-color", "--failure-threshold", "style",
                           str(path)], capture_output=True, text=True)


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_hadolint(dockerfile):
    result = hadolint(dockerfile)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_finds_what_it_should(tmp_path):
    """The linter is not silent: root as the last user, an untagged image, an unpinned apt
    install and a missing --no-install-recommends are each reported."""
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM debian\nRUN apt-get update && apt-get install -y curl\nUSER root\n")
    result = hadolint(bad)
    assert result.returncode != 0
    for rule in ["DL3006", "DL3008", "DL3015", "DL3002"]:
        assert rule in result.stdout, (rule, result.stdout)


@pytest.mark.parametrize("script", ["docker/entrypoint.sh", "docker/runtime-packages.sh"])
def test_shellcheck(script):
    result = subprocess.run([tool("shellcheck"), "--severity=style", str(ROOT / script)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def compose(*args):
    return subprocess.run([tool("docker-compose"), "--project-directory", str(ROOT), "-f",
                           str(ROOT / "docker-compose.yml"), *args], capture_output=True,
                          text=True, env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"})


def test_compose_file_is_valid():
    result = compose("config", "-q")
    assert result.returncode == 0, result.stderr


def test_compose_schema_check_is_not_silent(tmp_path):
    bad = tmp_path / "docker-compose.yml"
    text = (ROOT / "docker-compose.yml").read_text().replace("capabilities: [gpu]",
                                                             "capability: [gpu]")
    bad.write_text(text)
    result = subprocess.run([tool("docker-compose"), "-f", str(bad), "config", "-q"],
                            capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"})
    assert result.returncode != 0 and "capability" in result.stderr


def resolved_compose(extra_env=None):
    env = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", **(extra_env or {})}
    result = subprocess.run([tool("docker-compose"), "--project-directory", str(ROOT), "-f",
                             str(ROOT / "docker-compose.yml"), "config"], capture_output=True,
                            text=True, env=env)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def image_healthcheck(dockerfile):
    runtime = dockerfile_stages(dockerfile)[1][1]
    line = next(i for i in runtime if i.startswith("HEALTHCHECK"))
    return re.search(r'CMD \[(.*)\]$', line).group(1).replace('"', "").split(", ")


def test_compose_services():
    config = resolved_compose()
    services = config["services"]
    assert set(services) == {"r1", "r1-cuda"}
    cpu, cuda = services["r1"], services["r1-cuda"]
    # Only the CPU service starts with a plain `docker compose up`.
    assert "profiles" not in cpu and cuda["profiles"] == ["cuda"]
    assert cpu["build"]["dockerfile"] == "Dockerfile"
    assert cuda["build"]["dockerfile"] == "Dockerfile.cuda"
    devices = cuda["deploy"]["resources"]["reservations"]["devices"]
    assert devices == [{"driver": "nvidia", "count": "all", "capabilities": ["gpu"]}]
    assert "deploy" not in cpu
    for name, service in services.items():
        assert service["restart"] == "unless-stopped", name
        assert service["ports"] == [{"published": 7860, "target": 7860}], name
        targets = [v.split(":")[1] for v in service["volumes"]]
        assert targets == ["/root/.cache/huggingface", "/var/lib/r1"], name
        assert service["healthcheck"]["test"] == \
            ["CMD", *image_healthcheck(ROOT / service["build"]["dockerfile"])]
        assert service["environment"]["R1_MODEL"] == "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B"
    assert set(config["volumes"]) == {"huggingface", "r1-data"}


def test_compose_host_cache_folder():
    """R1_HF_CACHE=$HOME/.cache/huggingface shares the host's cache, as the seed's -v does."""
    config = resolved_compose({"R1_HF_CACHE": "/home/me/.cache/huggingface",
                               "R1_PUBLISH_PORT": "8080"})
    service = config["services"]["r1"]
    assert service["volumes"][0] == "/home/me/.cache/huggingface:/root/.cache/huggingface:rw"
    assert service["ports"] == [{"published": 8080, "target": 7860}]
