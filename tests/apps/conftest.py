"""Fixtures for the apps' tests; helpers live in support.py."""

from __future__ import annotations

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


# ---- Docker and the registry --------------------------------------------------
#
# Prepared lazily from inside the tests (not in fixture setup), so that a missing
# prerequisite or a failed build shows as a *failed* (or skipped) test rather than
# a setup error, and each step runs once per session: a step that failed fails
# every later test that needs it at once, without being retried.

def _once(method):
    name = method.__name__

    def wrapper(self, *args):
        key = (name, *args)
        if key not in self._cache:
            try:
                self._cache[key] = (True, method(self, *args))
            except BaseException as exc:  # includes pytest's skip/fail outcomes
                self._cache[key] = (False, exc)
        ok, value = self._cache[key]
        if ok:
            return value
        raise value
    return wrapper


def image_tag(version: str) -> str:
    return f"knative-rollout-test/hello-{version}:latest"


class Lab:
    """Docker, the offline base image, the app images and the test registry."""

    def __init__(self, tmp_path_factory):
        self._cache: dict = {}
        self._tmp = tmp_path_factory

    @_once
    def docker_ready(self) -> None:
        require(shutil.which(DOCKER), f"docker client {DOCKER!r} not on PATH (scripts/install-deps.sh)")
        info = subprocess.run([DOCKER, "info", "--format", "{{.ServerVersion}}"],
                              capture_output=True, text=True, timeout=30)
        require(info.returncode == 0,
                f"docker daemon not reachable (scripts/docker-up.sh): {info.stderr.strip()}")

    @_once
    def base_image(self) -> str:
        """The offline Python base: TEST_PYTHON_IMAGE, or scripts/python-base-image.sh."""
        self.docker_ready()
        override = os.environ.get("TEST_PYTHON_IMAGE")
        if override:
            docker("image", "inspect", override)
            return override
        require(shutil.which("mmdebstrap"), "mmdebstrap not installed (scripts/install-deps.sh)")
        proc = subprocess.run(["bash", str(REPO / "scripts" / "python-base-image.sh")],
                              capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, f"python-base-image.sh failed:\n{proc.stderr[-4000:]}"
        image = proc.stdout.strip().splitlines()[-1]
        docker("image", "inspect", image)
        return image

    @_once
    def image(self, version: str) -> str:
        """apps/<version> built with PYTHON_IMAGE=<offline base>."""
        tag = image_tag(version)
        base = self.base_image()
        previous = docker("image", "inspect", "--format", "{{.Id}}", tag, check=False).stdout.strip()
        docker("build", "--network", "host", "--build-arg", f"PYTHON_IMAGE={base}",
               "--tag", tag, str(APPS / version), timeout=600)
        if previous and previous != docker("image", "inspect", "--format", "{{.Id}}", tag).stdout.strip():
            # The last run's image (and its registry names) would only pile up.
            docker("image", "rm", "--force", previous, check=False)
        return tag

    @_once
    def registry(self) -> dict:
        """Credentials of the test registry started by scripts/docker-up.sh."""
        self.docker_ready()
        require(REGISTRY_ENV_FILE.is_file(),
                f"{REGISTRY_ENV_FILE} missing: start the registry with scripts/docker-up.sh")
        env = support.read_env_file(REGISTRY_ENV_FILE)
        for key in ("REGISTRY", "REGISTRY_USER", "REGISTRY_PASSWORD"):
            assert env.get(key), f"{key} missing from {REGISTRY_ENV_FILE}"
        status = None
        try:
            urllib.request.urlopen(f"http://{env['REGISTRY']}/v2/", timeout=5)
            status = 200
        except urllib.error.HTTPError as exc:
            status = exc.code
        except OSError as exc:
            require(False, f"registry {env['REGISTRY']} not answering (scripts/docker-up.sh): {exc}")
        assert status == 401, f"registry must demand credentials, anonymous /v2/ gave {status}"
        return env

    @_once
    def docker_config(self) -> Path:
        """A private DOCKER_CONFIG logged in to the test registry (the user's is untouched)."""
        registry = self.registry()
        config = self._tmp.mktemp("docker-config")
        docker("--config", str(config), "login", "--username", registry["REGISTRY_USER"],
               "--password-stdin", registry["REGISTRY"], input=registry["REGISTRY_PASSWORD"])
        return config


@pytest.fixture(scope="session")
def lab(tmp_path_factory) -> Lab:
    return Lab(tmp_path_factory)


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


@pytest.fixture(scope="session")
def run_id() -> str:
    return f"{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:6]}"
