"""Helpers shared by the apps' tests (imported by conftest.py and the tests)."""

from __future__ import annotations

import base64
import contextlib
import http.client
import importlib.util
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]
APPS = REPO / "apps"
VERSIONS = sorted(p.name for p in APPS.iterdir() if (p / "Dockerfile").is_file())
VENV_PYTHON = REPO / ".venv" / "bin" / "python"
STATE_DIR = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "knative-rollout"
REGISTRY_ENV_FILE = STATE_DIR / "registry.env"
DOCKER = os.environ.get("DOCKER", "docker")
IMAGE_UID = 10001


def expected_body(version: str, target: str = "World") -> str:
    return f"Hello {target} : {version} !\n"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def require(ok: object, reason: str) -> None:
    """A missing prerequisite skips the test locally, and fails it under CI=true."""
    if ok:
        return
    if in_ci():
        pytest.fail(f"missing prerequisite (CI=true): {reason}", pytrace=False)
    pytest.skip(reason)


def load_app_module(version: str) -> ModuleType:
    """Import apps/<version>/app.py under a unique module name."""
    path = APPS / version / "app.py"
    spec = importlib.util.spec_from_file_location(f"hello_app_{version}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_request(port: int, path: str = "/", method: str = "GET", timeout: float = 5.0,
                 host: str = "127.0.0.1"):
    """One request on a fresh TCP connection: (status, headers dict, body str)."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request(method, path)
        resp = conn.getresponse()
        body = resp.read().decode("utf-8")
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body
    finally:
        conn.close()


def wait_http(port: int, timeout: float = 20.0, alive=lambda: True, path: str = "/") -> float:
    """Poll until the server answers 200 (bounded); return seconds waited."""
    start = time.monotonic()
    last_error: Exception | None = None
    while time.monotonic() - start < timeout:
        if not alive():
            raise AssertionError(f"server exited before answering: {last_error}")
        try:
            status, _, _ = http_request(port, path, timeout=1.0)
            if status == 200:
                return time.monotonic() - start
        except OSError as exc:  # refused / reset while starting
            last_error = exc
        time.sleep(0.02)
    raise AssertionError(f"no 200 from 127.0.0.1:{port}{path} within {timeout}s: {last_error}")


def docker(*args: str, timeout: float = 120, check: bool = True, env: dict | None = None,
           input: str | None = None) -> subprocess.CompletedProcess:
    """Run the docker client (legacy builder forced: docker.io has no buildx)."""
    full_env = {**os.environ, "DOCKER_BUILDKIT": "0", **(env or {})}
    proc = subprocess.run([DOCKER, *args], capture_output=True, text=True, timeout=timeout,
                          env=full_env, input=input)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"docker {' '.join(args)} exited {proc.returncode}\n"
            f"stdout:\n{proc.stdout[-4000:]}\nstderr:\n{proc.stderr[-4000:]}")
    return proc


def proc_status(pid: int) -> dict[str, str]:
    with open(f"/proc/{pid}/status", encoding="utf-8") as f:
        return dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)


def proc_tree(pid: int) -> list[int]:
    """pid and all its descendants (from /proc/<pid>/task/*/children)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        with contextlib.suppress(OSError):
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children", encoding="ascii") as f:
                    todo.extend(int(c) for c in f.read().split())
    return out


def read_env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip()
    return values


def registry_get(registry: dict, path: str, accept: str | None = None, auth: bool = True):
    """GET http://<registry>/v2/<path>: (status, headers)."""
    req = urllib.request.Request(f"http://{registry['REGISTRY']}/v2/{path}")
    if accept:
        req.add_header("Accept", accept)
    if auth:
        token = base64.b64encode(
            f"{registry['REGISTRY_USER']}:{registry['REGISTRY_PASSWORD']}".encode()).decode()
        req.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, dict(resp.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers)
