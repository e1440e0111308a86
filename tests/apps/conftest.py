"""Fixtures for the apps' tests; helpers live in support.py."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

import support
from support import APPS, DOCKER, REGISTRY_ENV_FILE, REPO, VERSIONS, docker, require


@pytest.fixture(params=VERSIONS)
def version(request) -> str:
    return request.param


@pytest.fixture
def app_module(version):
    return support.load_app_module(version)


@pytest.fixture
def client(app_module):
    return app_module.app.test_client()


# ---- Docker -----------------------------------------------------------------

@pytest.fixture(scope="session")
def docker_ready() -> None:
    require(shutil.which(DOCKER), f"docker client {DOCKER!r} not on PATH (scripts/install-deps.sh)")
    info = subprocess.run([DOCKER, "info", "--format", "{{.ServerVersion}}"],
                          capture_output=True, text=True, timeout=30)
    require(info.returncode == 0, f"docker daemon not reachable (scripts/docker-up.sh): {info.stderr.strip()}")


@pytest.fixture(scope="session")
def python_base_image(docker_ready) -> str:
    """The offline Python base: TEST_PYTHON_IMAGE, or scripts/python-base-image.sh."""
    override = os.environ.get("TEST_PYTHON_IMAGE")
    if override:
        return override
    require(shutil.which("mmdebstrap"), "mmdebstrap not installed (scripts/install-deps.sh)")
    proc = subprocess.run(["bash", str(REPO / "scripts" / "python-base-image.sh")],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"python-base-image.sh failed:\n{proc.stderr[-4000:]}"
    image = proc.stdout.strip().splitlines()[-1]
    docker("image", "inspect", image)
    return image


_built: dict[str, str] = {}


def image_tag(version: str) -> str:
    return f"knative-rollout-test/hello-{version}:latest"


@pytest.fixture
def app_image(version, python_base_image) -> str:
    """apps/<version> built with PYTHON_IMAGE=<offline base> (once per session)."""
    if version not in _built:
        tag = image_tag(version)
        docker("build", "--network", "host", "--build-arg", f"PYTHON_IMAGE={python_base_image}",
               "--tag", tag, str(APPS / version), timeout=600)
        _built[version] = tag
    return _built[version]


class Containers:
    """Starts containers and removes every one of them at teardown."""

    def __init__(self):
        self.ids: list[str] = []

    def run(self, image: str, *args: str, env: dict | None = None, network: str = "host",
            command: list[str] | None = None) -> str:
        env_args = [a for k, v in (env or {}).items() for a in ("-e", f"{k}={v}")]
        cid = docker("run", "-d", "--network", network, *env_args, *args, image,
                     *(command or [])).stdout.strip()
        self.ids.append(cid)
        return cid

    def cleanup(self):
        for cid in self.ids:
            subprocess.run([DOCKER, "rm", "-f", cid], capture_output=True, timeout=60)


@pytest.fixture
def containers():
    c = Containers()
    yield c
    c.cleanup()


# ---- Registry ----------------------------------------------------------------

@pytest.fixture(scope="session")
def registry(docker_ready) -> dict[str, str]:
    """Credentials of the test registry started by scripts/docker-up.sh."""
    require(REGISTRY_ENV_FILE.is_file(),
            f"{REGISTRY_ENV_FILE} missing: start the registry with scripts/docker-up.sh")
    env = support.read_env_file(REGISTRY_ENV_FILE)
    for key in ("REGISTRY", "REGISTRY_USER", "REGISTRY_PASSWORD"):
        assert env.get(key), f"{key} missing from {REGISTRY_ENV_FILE}"
    try:
        urllib.request.urlopen(f"http://{env['REGISTRY']}/v2/", timeout=5)
        status = 200
    except urllib.error.HTTPError as exc:
        status = exc.code
    except OSError as exc:
        require(False, f"registry {env['REGISTRY']} not answering (scripts/docker-up.sh): {exc}")
    assert status == 401, f"registry must demand credentials, anonymous /v2/ gave {status}"
    return env


@pytest.fixture(scope="session")
def docker_config(registry, tmp_path_factory) -> Path:
    """A private DOCKER_CONFIG logged in to the test registry (the user's is untouched)."""
    config = tmp_path_factory.mktemp("docker-config")
    docker("--config", str(config), "login", "--username", registry["REGISTRY_USER"],
           "--password-stdin", registry["REGISTRY"], input=registry["REGISTRY_PASSWORD"])
    return config


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


@pytest.fixture(scope="session")
def run_id() -> str:
    return f"{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:6]}"
