"""apps/<version>/gunicorn.conf.py: PORT, workers/threads, shutdown settings."""

import os
import runpy
import subprocess

import pytest

from support import APPS, VENV_PYTHON, require

KNOBS = ("PORT", "LISTEN_HOST", "WEB_CONCURRENCY", "GUNICORN_THREADS",
         "GUNICORN_GRACEFUL_TIMEOUT", "GUNICORN_CMD_ARGS")


@pytest.fixture
def load_config(version, monkeypatch):
    def load(**env):
        for key in KNOBS:
            monkeypatch.delenv(key, raising=False)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        return runpy.run_path(str(APPS / version / "gunicorn.conf.py"))
    return load


def test_binds_all_interfaces_on_8080_when_port_unset(load_config):
    assert load_config()["bind"] == ["0.0.0.0:8080"]


def test_binds_knative_port(load_config):
    assert load_config(PORT="9123")["bind"] == ["0.0.0.0:9123"]


def test_listen_host_override(load_config):
    assert load_config(PORT="9123", LISTEN_HOST="127.0.0.1")["bind"] == ["127.0.0.1:9123"]


@pytest.mark.parametrize("bad", ["http", "0", "70000", "-1"])
def test_invalid_port_refuses_to_start(load_config, bad):
    with pytest.raises(SystemExit):
        load_config(PORT=bad)


def test_thread_worker_defaults(load_config):
    cfg = load_config()
    assert cfg["worker_class"] == "gthread"
    assert cfg["threads"] == 4
    assert cfg["graceful_timeout"] == 30
    assert cfg["control_socket_disable"] is True


def test_env_overrides(load_config):
    cfg = load_config(WEB_CONCURRENCY="3", GUNICORN_THREADS="2", GUNICORN_GRACEFUL_TIMEOUT="5")
    assert (cfg["workers"], cfg["threads"], cfg["graceful_timeout"]) == (3, 2, 5)


def _cgroup(tmp_path, files):
    for rel, content in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return str(tmp_path)


@pytest.mark.parametrize("files,expected", [
    ({}, 1),                                                      # no cgroup info
    ({"cpu.max": "max 100000\n"}, 1),                             # v2, unlimited
    ({"cpu.max": "100000 100000\n"}, 1),                          # v2, 1 CPU
    ({"cpu.max": "150000 100000\n"}, 2),                          # v2, 1.5 CPU -> 2
    ({"cpu.max": "400000 100000\n"}, 4),                          # v2, 4 CPU
    ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, 1),      # v1, unlimited
    ({"cpu/cpu.cfs_quota_us": "200000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 2),  # v1, 2 CPU
    ({"cpu.max": "6400000 100000\n"}, 8),                         # never above the CPUs there are
])
def test_default_workers_follow_the_cpu_limit(load_config, tmp_path, monkeypatch, files, expected):
    cfg = load_config()
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    assert cfg["default_workers"](_cgroup(tmp_path, files)) == expected


def test_gunicorn_accepts_the_config(version):
    """gunicorn itself loads the file and the app (--check-config imports both)."""
    require(VENV_PYTHON.exists(), ".venv missing (scripts/install-deps.sh)")
    env = {k: v for k, v in os.environ.items() if k not in KNOBS}
    proc = subprocess.run(
        [str(VENV_PYTHON), "-m", "gunicorn", "--check-config", "--config", "gunicorn.conf.py", "app:app"],
        cwd=APPS / version, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    printed = subprocess.run(
        [str(VENV_PYTHON), "-m", "gunicorn", "--print-config", "--config", "gunicorn.conf.py", "app:app"],
        cwd=APPS / version, env={**env, "PORT": "9321"}, capture_output=True, text=True, timeout=60)
    assert printed.returncode == 0, printed.stderr
    settings = dict(line.split("=", 1) for line in
                    (l.replace(" ", "") for l in printed.stdout.splitlines()) if "=" in line)
    assert settings["bind"] == "['0.0.0.0:9321']"
    assert settings["worker_class"] == "gthread"
    assert settings["threads"] == "4"
