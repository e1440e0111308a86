"""The images for real: built on an offline Python base, run, stopped, pushed
to the password-protected test registry and pulled back by digest.

Needs dockerd and the registry (scripts/docker-up.sh) and mmdebstrap for the
base (scripts/python-base-image.sh); without them these tests skip, or fail
under CI=true. Containers use the host network and bind 127.0.0.1 only.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time

import pytest

from support import (IMAGE_UID, REPO, docker, expected_body, free_port, http_request,
                     proc_status, proc_tree, registry_get, wait_http)

pytestmark = [pytest.mark.container, pytest.mark.timeout(900)]

MANIFEST_TYPES = ", ".join([
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
])


def inspect(ref: str) -> dict:
    return json.loads(docker("image", "inspect", ref).stdout)[0]


def start_on_loopback(containers, image: str, *args: str, **env) -> tuple[str, int]:
    port = free_port()
    cid = containers.run(image, *args, env={"PORT": str(port), "LISTEN_HOST": "127.0.0.1", **env})
    wait_http(port, timeout=30, alive=lambda: container_running(cid))
    return cid, port


def container_running(cid: str) -> bool:
    return docker("inspect", "-f", "{{.State.Running}}", cid, check=False).stdout.strip() == "true"


def test_image_metadata(lab, version):
    app_image = lab.image(version)
    config = inspect(app_image)["Config"]
    assert config["User"] == f"{IMAGE_UID}:{IMAGE_UID}"
    assert config["Cmd"] == ["/opt/venv/bin/gunicorn", "--config", "/app/gunicorn.conf.py", "app:app"]
    assert not config.get("Entrypoint")
    assert "8080/tcp" in config["ExposedPorts"]
    assert config.get("StopSignal") == "SIGTERM"
    assert not [e for e in config["Env"] if e.startswith("PORT=")], "the image must not set PORT"


RESTRICTED = ("--read-only", "--cap-drop", "ALL", "--security-opt", "no-new-privileges")


def test_container_serves_exact_body(lab, version, containers):
    """...also under a read-only root filesystem, no capabilities and
    no-new-privileges, as a restricted Pod Security profile runs it."""
    app_image = lab.image(version)
    _, port = start_on_loopback(containers, app_image, *RESTRICTED, TARGET="Knative")
    status, headers, body = http_request(port, "/")
    assert (status, body) == (200, f"Hello Knative : {version} !\n")
    assert headers["content-type"] == "text/plain; charset=utf-8"
    assert http_request(port, "/missing")[::2] == (404, "404 Not Found\n")
    assert http_request(port, "/", method="DELETE")[::2] == (405, "405 Method Not Allowed\n")


def test_container_default_target(lab, version, containers):
    app_image = lab.image(version)
    _, port = start_on_loopback(containers, app_image)
    assert http_request(port, "/")[2] == expected_body(version)


def test_container_listens_on_8080_without_port(lab, version, containers):
    app_image = lab.image(version)
    """No PORT, no LISTEN_HOST: 0.0.0.0:8080, seen from inside the container's
    own (network-less) namespace."""
    cid = containers.run(app_image, network="none")
    probe = ("import time, urllib.request\n"
             "for _ in range(300):\n"
             "    try:\n"
             "        print(urllib.request.urlopen('http://127.0.0.1:8080/', timeout=1).read().decode(), end='')\n"
             "        break\n"
             "    except OSError:\n"
             "        time.sleep(0.05)\n")
    out = docker("exec", cid, "python3", "-c", probe, timeout=60).stdout
    assert out == expected_body(version)
    assert "Listening at: http://0.0.0.0:8080" in docker("logs", cid).stderr


def test_container_process_is_not_root(lab, version, containers):
    app_image = lab.image(version)
    cid, _ = start_on_loopback(containers, app_image)
    pid = int(docker("inspect", "-f", "{{.State.Pid}}", cid).stdout)
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        assert b"gunicorn" in f.read(), "PID 1 in the container is not gunicorn"
    tree = proc_tree(pid)
    assert len(tree) >= 2, "no gunicorn worker process"
    for p in tree:
        status = proc_status(p)
        uids, gids = status["Uid"].split(), status["Gid"].split()
        assert uids == [str(IMAGE_UID)] * 4, f"pid {p}: Uid {uids}"
        assert gids == [str(IMAGE_UID)] * 4, f"pid {p}: Gid {gids}"
    assert docker("exec", cid, "id", "-u").stdout.strip() == str(IMAGE_UID)


def test_container_stops_cleanly_on_sigterm(lab, version, containers):
    app_image = lab.image(version)
    cid, _ = start_on_loopback(containers, app_image)
    start = time.monotonic()
    docker("stop", "--time", "20", cid, timeout=60)
    took = time.monotonic() - start
    state = json.loads(docker("inspect", "-f", "{{json .State}}", cid).stdout)
    logs = docker("logs", cid).stderr
    assert state["ExitCode"] == 0, logs
    assert not state["OOMKilled"]
    assert took < 10, f"docker stop took {took:.1f}s: SIGTERM was not handled"
    assert "Handling signal: term" in logs and "Shutting down: Master" in logs


def test_image_has_no_pip_cache_or_build_tools(lab, version):
    app_image = lab.image(version)
    script = (
        "set -u; bad=0;"
        "for t in gcc cc make git; do command -v $t >/dev/null && { echo tool:$t; bad=1; }; done;"
        "ls /opt/venv/bin | grep -E '^pip' && bad=1;"
        "/opt/venv/bin/python3 -c 'import pip' 2>/dev/null && { echo venv-has-pip; bad=1; };"
        "for d in /root/.cache/pip /home/*/.cache/pip /tmp/requirements.txt; do [ -e $d ] && { echo left:$d; bad=1; }; done;"
        "exit $bad")
    proc = docker("run", "--rm", "--network", "none", "--user", "0", app_image, "sh", "-c", script,
                  check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_push_and_pull_back_by_digest(lab, version, run_id):
    app_image, registry, docker_config = lab.image(version), lab.registry(), lab.docker_config()
    cfg = ["--config", str(docker_config)]
    repo = f"{registry['REGISTRY']}/knative-rollout-test/hello-{version}"
    remote = f"{repo}:{run_id}"
    image_id = inspect(app_image)["Id"]
    docker("tag", app_image, remote)
    push = docker(*cfg, "push", remote, timeout=300)
    pushed = re.search(r"digest: (sha256:[0-9a-f]{64})", push.stdout)
    assert pushed, push.stdout
    digest = pushed.group(1)

    # The registry serves that digest for the tag, and only with credentials.
    status, headers = registry_get(registry, f"knative-rollout-test/hello-{version}/manifests/{run_id}",
                                   accept=MANIFEST_TYPES)
    assert status == 200 and headers.get("Docker-Content-Digest") == digest
    assert registry_get(registry, f"knative-rollout-test/hello-{version}/manifests/{digest}",
                        accept=MANIFEST_TYPES, auth=False)[0] == 401

    # Drop every local copy, then pull back by digest.
    docker("image", "rm", "--force", image_id)
    assert docker("image", "inspect", image_id, check=False).returncode != 0
    anonymous = docker("--config", str(docker_config.parent / "empty-config"), "pull",
                       f"{repo}@{digest}", check=False, timeout=120)
    assert anonymous.returncode != 0, "the registry let an anonymous client pull"
    assert re.search(r"no basic auth credentials|unauthorized|authentication required",
                     anonymous.stderr, re.I), anonymous.stderr
    docker(*cfg, "pull", f"{repo}@{digest}", timeout=300)
    pulled = inspect(f"{repo}@{digest}")
    assert pulled["Id"] == image_id, "pulled image differs from the one built"
    assert f"{repo}@{digest}" in pulled["RepoDigests"]
    docker("tag", image_id, app_image)  # restore the local tag for later tests


def test_base_image_script_push_interface(lab, run_id):
    lab.base_image()  # built (and cached) first, so this test times only the push
    registry, docker_config = lab.registry(), lab.docker_config()
    """scripts/python-base-image.sh --push REF: pushes, and prints REF as its last line."""
    ref = f"{registry['REGISTRY']}/knative-rollout-test/python-base:{run_id}"
    proc = subprocess.run(["bash", str(REPO / "scripts" / "python-base-image.sh"), "--push", ref],
                          capture_output=True, text=True, timeout=900,
                          env={**os.environ, "DOCKER_CONFIG": str(docker_config)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().splitlines()[-1] == ref
    status, headers = registry_get(registry, f"knative-rollout-test/python-base/manifests/{run_id}",
                                   accept=MANIFEST_TYPES)
    assert status == 200 and headers.get("Docker-Content-Digest", "").startswith("sha256:")
    docker("image", "rm", ref)  # only the tag: the image stays as the local base
