"""What the apps' folders must look like: Dockerfile rules, pins, v1/v2 drift."""

import json
import re

import pytest

from support import APPS, REPO, VERSIONS

DEFAULT_BASE = re.compile(
    r"^ARG PYTHON_IMAGE=python:3\.\d+\.\d+-slim-[a-z]+@sha256:[0-9a-f]{64}$", re.M)


def dockerfile(version):
    return (APPS / version / "Dockerfile").read_text()


def instructions(version):
    """Dockerfile instructions with continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", dockerfile(version))
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_there_are_two_versions():
    assert VERSIONS == ["v1", "v2"]


def test_default_base_is_a_pinned_slim_python(version):
    assert DEFAULT_BASE.search(dockerfile(version))
    froms = [i for i in instructions(version) if i.upper().startswith("FROM ")]
    assert froms and all(f.split()[1] == "${PYTHON_IMAGE}" for f in froms)
    assert instructions(version)[0].startswith("ARG PYTHON_IMAGE=")


@pytest.mark.parametrize("pattern,why", [
    (r"--mount", "RUN --mount is BuildKit-only"),
    (r"<<", "heredocs are BuildKit-only"),
    (r"--chmod|--link|--chown=\$", "COPY --chmod/--link are BuildKit-only"),
    (r"^# *syntax=", "a syntax directive pins a BuildKit frontend"),
])
def test_legacy_builder_compatible(version, pattern, why):
    if pattern.startswith("^#"):
        assert not re.search(pattern, dockerfile(version), re.M), why
    else:
        assert not re.search(pattern, "\n".join(instructions(version))), why


def test_never_sets_port(version):
    for line in instructions(version):
        if line.upper().startswith(("ENV ", "ARG ")):
            assert not re.search(r"\bPORT\s*=", line), line


def test_runs_as_numeric_non_root_user(version):
    users = [i.split()[1] for i in instructions(version) if i.upper().startswith("USER ")]
    assert users, "no USER instruction"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) != 0


def test_exec_form_cmd_starts_gunicorn_with_its_config(version):
    cmds = [i for i in instructions(version) if i.upper().startswith(("CMD ", "ENTRYPOINT "))]
    assert len(cmds) == 1 and cmds[0].startswith("CMD ")
    argv = json.loads(cmds[0][4:])  # exec form is a JSON array
    assert argv == ["/opt/venv/bin/gunicorn", "--config", "/app/gunicorn.conf.py", "app:app"]


def test_installs_with_hashes_into_a_venv_without_cache(version):
    text = dockerfile(version)
    assert "python3 -m venv /opt/venv" in text
    assert "--require-hashes" in text and "--no-cache-dir" in text and "--only-binary=:all:" in text
    run_and_cmd = [i for i in instructions(version) if i.upper().startswith(("RUN ", "CMD "))]
    assert not re.search(r"\bpython\b(?![3.])", "\n".join(run_and_cmd)), "use python3"


def test_requirements_are_pinned_with_hashes(version):
    reqs = (APPS / version / "requirements.txt").read_text()
    entries = re.findall(r"^([A-Za-z0-9_.-]+)(\S*) \\\n((?:\s+--hash=sha256:[0-9a-f]{64}(?: \\)?\n)+)", reqs, re.M)
    names = {name for name, _, _ in entries}
    assert {"flask", "gunicorn", "werkzeug"} <= names
    for name, spec, _hashes in entries:
        assert re.fullmatch(r"==[\w.]+", spec), f"{name}{spec} is not pinned"
    requirement_lines = [l for l in reqs.splitlines() if re.match(r"^[A-Za-z]", l)]
    assert len(requirement_lines) == len(entries), "a requirement without hashes"


def _pins(text):
    return {m[0].lower(): m[1] for m in re.findall(r"^([A-Za-z0-9_.-]+)==([\w.]+)", text, re.M)}


def test_dev_requirements_match_the_apps_pins():
    app_pins = _pins((APPS / "v1" / "requirements.txt").read_text())
    dev_pins = _pins((REPO / "requirements-dev.txt").read_text())
    for name, pin in app_pins.items():
        assert dev_pins.get(name) == pin, f"requirements-dev.txt: {name} should be =={pin}"


def test_dockerignore_admits_exactly_what_the_dockerfile_copies(version):
    ignore = (APPS / version / ".dockerignore").read_text().split()
    copied = set()
    for line in instructions(version):
        parts = line.split()
        if parts[0].upper() == "COPY" and not any(p.startswith("--from") for p in parts):
            copied.update(p.lstrip("./") for p in parts[1:-1])
    assert "*" in ignore
    assert {p[1:] for p in ignore if p.startswith("!")} == copied


def test_versions_differ_only_in_the_version():
    """v2 is v1 with the version bumped: nothing else may drift between the folders."""
    files = {p.relative_to(APPS / "v1") for p in (APPS / "v1").rglob("*")
             if p.is_file() and "__pycache__" not in p.parts}
    other = {p.relative_to(APPS / "v2") for p in (APPS / "v2").rglob("*")
             if p.is_file() and "__pycache__" not in p.parts}
    assert files == other
    changed = []
    for rel in sorted(files):
        v1 = (APPS / "v1" / rel).read_text().splitlines()
        v2 = (APPS / "v2" / rel).read_text().splitlines()
        assert len(v1) == len(v2), f"apps/v1/{rel} and apps/v2/{rel} drifted apart"
        for a, b in zip(v1, v2):
            if a != b:
                assert a.replace("v1", "v2") == b, f"{rel}: {a!r} vs {b!r}"
                changed.append((str(rel), b))
    assert ("app.py", 'VERSION = "v2"') in changed
