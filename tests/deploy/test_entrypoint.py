"""docker/entrypoint.sh against a fake r1: the options it makes from the environment, exec and
signals, the seed's `-v ~/.cache/huggingface:/root/.cache/huggingface` mount case."""
import json
import os
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import ENTRYPOINT, base_env, install_fake_r1


@pytest.fixture
def env(tmp_path):
    return base_env(tmp_path, install_fake_r1(tmp_path / "bin"))


def run_entrypoint(env, *args, **kw):
    return subprocess.run(["bash", str(ENTRYPOINT), *args], env=env, capture_output=True,
                          text=True, timeout=30, **kw)


def recorded(env):
    return json.loads(Path(env["FAKE_R1_RECORD"]).read_text())


def option(args, name):
    """The value r1 takes for --name: the last one given (r1's parser keeps the last)."""
    values = [args[i + 1] for i, a in enumerate(args) if a == name]
    return values[-1] if values else None


def test_no_arguments_serve_with_the_image_defaults(env):
    env.update(R1_HOST="0.0.0.0", R1_PORT="7860")  # what the Dockerfiles set
    result = run_entrypoint(env)
    assert result.returncode == 0, result.stderr
    args = recorded(env)["args"]
    assert args == ["serve", "--host", "0.0.0.0", "--port", "7860"]


def test_environment_becomes_options(env, tmp_path):
    env.update(R1_MODEL="deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B", R1_HOST="0.0.0.0",
               R1_PORT="8000", R1_THREADS="3", R1_PARALLEL="8", R1_CTX_SIZE="4096",
               R1_KV_CACHE_TOKENS="16384", R1_MAX_QUEUE="10", R1_QUANT="q8_0",
               R1_CORS_ORIGIN="https://a.example", R1_ALLOWED_HOSTS="r1,r1.default.svc",
               R1_API_KEY_FILE=str(tmp_path / "key"), R1_DATA_DIR=str(tmp_path / "data"),
               R1_OFFLINE="true", R1_DEVICE="cuda:1", R1_GPU_MEMORY_FRACTION="0.8")
    (tmp_path / "key").write_text("k")
    result = run_entrypoint(env)
    assert result.returncode == 0, result.stderr
    args = recorded(env)["args"]
    assert args[0] == "serve"
    expected = {"--model": "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B", "--host": "0.0.0.0",
                "--port": "8000", "--threads": "3", "--parallel": "8", "--ctx-size": "4096",
                "--kv-cache-tokens": "16384", "--max-queue": "10", "--quant": "q8_0",
                "--cors-origin": "https://a.example", "--allowed-host": "r1,r1.default.svc",
                "--api-key-file": str(tmp_path / "key"), "--data-dir": str(tmp_path / "data"),
                "--device": "cuda:1", "--gpu-memory-fraction": "0.8"}
    for name, value in expected.items():
        assert option(args, name) == value, (name, args)
    assert "--offline" in args
    # Every option once: nothing doubled.
    assert len(args) == 1 + 2 * len(expected) + 1
    assert (tmp_path / "data").is_dir()


def test_empty_values_count_as_unset(env):
    # docker-compose.yml passes "${R1_THREADS:-}" and the like: empty strings.
    env.update(R1_MODEL="", R1_THREADS="", R1_API_KEY="", R1_EXTRA_ARGS="", R1_OFFLINE="")
    result = run_entrypoint(env)
    assert result.returncode == 0, result.stderr
    assert recorded(env)["args"] == ["serve"]


def test_extra_args_and_command_line_come_last(env):
    env.update(R1_PORT="7860", R1_EXTRA_ARGS="  --quant q4_k   --parallel 2 ")
    result = run_entrypoint(env, "--port", "9000", "--system", "be brief")
    assert result.returncode == 0, result.stderr
    args = recorded(env)["args"]
    assert args == ["serve", "--port", "7860", "--quant", "q4_k", "--parallel", "2",
                    "--port", "9000", "--system", "be brief"]
    assert option(args, "--port") == "9000"  # the command line wins


def test_explicit_serve_is_the_same(env):
    env.update(R1_PORT="7860")
    result = run_entrypoint(env, "serve", "--max-tokens", "64")
    assert result.returncode == 0, result.stderr
    assert recorded(env)["args"] == ["serve", "--port", "7860", "--max-tokens", "64"]


@pytest.mark.parametrize("name,value", [("R1_PORT", "http"), ("R1_PORT", "0"),
                                        ("R1_PORT", "65536"), ("R1_THREADS", "-1"),
                                        ("R1_THREADS", "0"), ("R1_THREADS", "2.5"),
                                        ("R1_OFFLINE", "maybe")])
def test_bad_values_are_refused_with_the_variable_named(env, name, value):
    env[name] = value
    result = run_entrypoint(env)
    assert result.returncode == 2
    assert name in result.stderr and repr(value) in result.stderr.replace('"', "'")
    assert not Path(env["FAKE_R1_RECORD"]).exists(), "r1 must not start"


def test_api_key_goes_through_a_private_file(env):
    env["R1_API_KEY"] = "sk-secret-123"
    result = run_entrypoint(env)
    assert result.returncode == 0, result.stderr
    record = recorded(env)
    assert "sk-secret-123" not in " ".join(record["args"])
    assert "R1_API_KEY" not in record["env"], "the key must not stay in r1's environment"
    assert "sk-secret-123" not in result.stderr
    assert record["key"] == {"content": "sk-secret-123", "mode": "0o600"}


def write_cpu_max(tmp_path, text):
    root = tmp_path / "cgroup"
    root.mkdir(exist_ok=True)
    (root / "cpu.max").write_text(text)
    return str(root)


def test_threads_follow_the_cgroup_quota(env, tmp_path):
    # cgroup v2 "quota period" in microseconds: 1.5 CPUs -> 1 thread (docker run --cpus 1.5).
    env["R1_CGROUP_ROOT"] = write_cpu_max(tmp_path, "150000 100000\n")
    result = run_entrypoint(env)
    assert result.returncode == 0, result.stderr
    cpus = len(os.sched_getaffinity(0))
    # Only a quota below the CPUs the process may use changes r1's default.
    assert option(recorded(env)["args"], "--threads") == ("1" if cpus > 1 else None)


def test_cgroup_v1_quota(env, tmp_path):
    root = tmp_path / "cgroup1"
    (root / "cpu").mkdir(parents=True)
    (root / "cpu" / "cpu.cfs_quota_us").write_text("50000\n")
    (root / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    env["R1_CGROUP_ROOT"] = str(root)
    result = run_entrypoint(env)
    assert result.returncode == 0, result.stderr
    cpus = len(os.sched_getaffinity(0))
    assert option(recorded(env)["args"], "--threads") == ("1" if cpus > 1 else None)


@pytest.mark.parametrize("cpu_max", ["max 100000\n", "999900000 100000\n"])
def test_no_or_large_quota_keeps_r1s_default(env, tmp_path, cpu_max):
    env["R1_CGROUP_ROOT"] = write_cpu_max(tmp_path, cpu_max)
    result = run_entrypoint(env)
    assert result.returncode == 0, result.stderr
    assert option(recorded(env)["args"], "--threads") is None


def test_r1_threads_wins_over_the_quota(env, tmp_path):
    env["R1_CGROUP_ROOT"] = write_cpu_max(tmp_path, "100000 100000\n")
    env["R1_THREADS"] = "6"
    result = run_entrypoint(env)
    assert option(recorded(env)["args"], "--threads") == "6"


@pytest.mark.parametrize("command", ["pull", "run", "bench", "make-random-model"])
def test_r1_commands_run_as_given(env, command):
    env.update(R1_PORT="7860", R1_MODEL="x/y")
    result = run_entrypoint(env, command, "--model", "a/b")
    assert result.returncode == 0, result.stderr
    assert recorded(env)["args"] == [command, "--model", "a/b"]


def test_r1_prefix_and_other_programs(env, tmp_path):
    result = run_entrypoint(env, "r1", "tokenize", "--text", "hi")
    assert result.returncode == 0, result.stderr
    assert recorded(env)["args"] == ["tokenize", "--text", "hi"]
    result = run_entrypoint(env, "bash", "-c", "echo inside")
    assert result.returncode == 0 and result.stdout == "inside\n"
    result = run_entrypoint(env, "no-such-program")
    assert result.returncode == 127
    assert "'no-such-program' is neither an r1 command" in result.stderr


def test_exec_makes_r1_the_process_that_gets_sigterm(env):
    """The entrypoint execs: r1 has the container's PID (1 there) and gets docker stop's
    SIGTERM itself; the container's exit status is r1's."""
    env["FAKE_R1_WAIT"] = "1"
    proc = subprocess.Popen(["bash", str(ENTRYPOINT)], env=env, stderr=subprocess.PIPE)
    record = Path(env["FAKE_R1_RECORD"])
    deadline = time.time() + 20
    while not record.exists():
        assert proc.poll() is None, proc.stderr.read()
        assert time.time() < deadline, "the fake r1 did not start"
        time.sleep(0.05)
    assert recorded(env)["pid"] == proc.pid, "r1 must replace the shell (exec), not be its child"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    assert Path(str(record) + ".signal").read_text() == "SIGTERM"
    proc.stderr.close()


# The seed's command mounts the host's cache at /root/.cache/huggingface while the image's user
# is uid 1000. The Dockerfiles point HF_HOME there; these run the entrypoint as a user that can
# or cannot write the mounted folder (as root, through setpriv as uid 1000 with the folder
# belonging to root, as Docker creates a missing host folder).

def run_as_other_user(env, folder_owned_by_root, *args):
    """Runs the entrypoint as uid 1000 (if we are root) or as ourselves with the folder made
    read-only, so that the folder is not writable by the user running it."""
    if os.geteuid() == 0:
        os.chown(folder_owned_by_root, 0, 0)
        folder_owned_by_root.chmod(0o755)
        cmd = ["setpriv", "--reuid=1000", "--regid=1000", "--clear-groups", "bash",
               str(env["_ENTRYPOINT"]), *args]
    else:
        folder_owned_by_root.chmod(0o555)
        cmd = ["bash", str(env["_ENTRYPOINT"]), *args]
    runner_env = {k: v for k, v in env.items() if not k.startswith("_")}
    try:
        return subprocess.run(cmd, env=runner_env, capture_output=True, text=True, timeout=30)
    finally:
        folder_owned_by_root.chmod(0o755)


@pytest.fixture
def shared_tmp():
    """A folder every user can enter (pytest's own is private to root), for setpriv runs."""
    folder = Path(tempfile.mkdtemp(prefix="r1-deploy-test-"))
    folder.chmod(0o755)
    yield folder
    subprocess.run(["chmod", "-R", "u+w", str(folder)], check=False)
    shutil.rmtree(folder, ignore_errors=True)


def seed_layout(shared_tmp):
    """/root/.cache/huggingface as the seed mounts it, under shared_tmp, and a private copy of
    the entrypoint and the fake r1 that uid 1000 can read."""
    cache = shared_tmp / "root" / ".cache" / "huggingface"
    cache.mkdir(parents=True)
    bin_dir = install_fake_r1(shared_tmp / "bin")
    entrypoint = shared_tmp / "entrypoint.sh"
    shutil.copy(ENTRYPOINT, entrypoint)
    entrypoint.chmod(0o755)
    data = shared_tmp / "var-lib-r1"  # /var/lib/r1 of the image: uid 1000's
    data.mkdir()
    if os.geteuid() == 0:
        os.chown(data, 1000, 1000)
    out = shared_tmp / "out"
    out.mkdir()
    out.chmod(0o777)
    env = base_env(out, bin_dir)
    env.update(HF_HOME=str(cache), R1_HOST="0.0.0.0", R1_PORT="7860",
               R1_DATA_DIR=str(shared_tmp / "var-lib-r1"), _ENTRYPOINT=str(entrypoint))
    return cache, env


def test_seed_mount_not_writable_warns_how_to_fix(shared_tmp):
    cache, env = seed_layout(shared_tmp)
    result = run_as_other_user(env, cache)
    assert result.returncode == 0, result.stderr
    warning = result.stderr
    assert f"the Hugging Face cache {cache}/hub cannot be written" in warning
    assert "sudo chown -R" in warning and "--user" in warning
    # It still serves what the cache holds, with the cache where the seed mounted it.
    record = json.loads(Path(env["FAKE_R1_RECORD"]).read_text())
    assert record["env"]["HF_HOME"] == str(cache)
    assert record["args"][:5] == ["serve", "--host", "0.0.0.0", "--port", "7860"]


def test_seed_mount_writable_is_used_silently(shared_tmp):
    cache, env = seed_layout(shared_tmp)
    if os.geteuid() == 0:
        os.chown(cache, 1000, 1000)  # the usual first user of the host, as the image's
        cmd = ["setpriv", "--reuid=1000", "--regid=1000", "--clear-groups"]
    else:
        cmd = []
    runner_env = {k: v for k, v in env.items() if not k.startswith("_")}
    result = subprocess.run([*cmd, "bash", env["_ENTRYPOINT"]], env=runner_env,
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr
    assert json.loads(Path(env["FAKE_R1_RECORD"]).read_text())["env"]["HF_HOME"] == str(cache)


def test_unwritable_data_dir_falls_back_with_a_warning(shared_tmp):
    cache, env = seed_layout(shared_tmp)
    data = Path(env["R1_DATA_DIR"])
    result = run_as_other_user(env, data)
    assert result.returncode == 0, result.stderr
    args = json.loads(Path(env["FAKE_R1_RECORD"]).read_text())["args"]
    used = option(args, "--data-dir")
    assert used != str(data) and used.startswith(env["TMPDIR"] + "/r1-data-")
    assert f"R1_DATA_DIR {data} cannot be written" in result.stderr


def test_the_script_passes_shellcheck():
    result = subprocess.run(["shellcheck", "--severity=style", str(ENTRYPOINT)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
