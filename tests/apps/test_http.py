"""Real HTTP: gunicorn from .venv with the app's own config, on a loopback port."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from support import APPS, VENV_PYTHON, expected_body, free_port, http_request, require, wait_http

pytestmark = pytest.mark.http
HERE = Path(__file__).resolve().parent


class Gunicorn:
    def __init__(self, version: str, app: str = "app:app", target: str | None = "Loopback"):
        require(VENV_PYTHON.exists(), ".venv missing (scripts/install-deps.sh)")
        self.port = free_port()
        env = {k: v for k, v in os.environ.items()
               if k not in ("TARGET", "WEB_CONCURRENCY", "GUNICORN_CMD_ARGS", "GUNICORN_THREADS")}
        env.update(PORT=str(self.port), LISTEN_HOST="127.0.0.1")
        if target is not None:
            env["TARGET"] = target
        self.proc = subprocess.Popen(
            [str(VENV_PYTHON), "-m", "gunicorn", "--config", "gunicorn.conf.py",
             "--pythonpath", str(HERE), app],
            cwd=APPS / version, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.startup = wait_http(self.port, timeout=20, alive=lambda: self.proc.poll() is None)

    def terminate(self, timeout: float = 15) -> tuple[int, str, float]:
        """SIGTERM, then wait (bounded): (exit code, log, seconds to exit)."""
        start = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        out, _ = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, out, time.monotonic() - start

    def stop(self):
        """Teardown: graceful stop, SIGKILL only if that hangs."""
        if self.proc.poll() is None:
            try:
                self.terminate(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.communicate(timeout=10)


@pytest.fixture
def start_gunicorn():
    """Factory: start gunicorn inside the test (so a failure to start is a test
    failure, not a setup error); every server started is stopped at teardown."""
    started = []

    def start(version, **kwargs):
        g = Gunicorn(version, **kwargs)
        started.append(g)
        return g
    yield start
    for g in started:
        g.stop()


def test_serves_exact_body_over_tcp(start_gunicorn, version):
    server = start_gunicorn(version)
    status, headers, body = http_request(server.port, "/")
    assert (status, body) == (200, expected_body(version, "Loopback"))
    assert headers["content-type"] == "text/plain; charset=utf-8"
    assert headers["server"] == "gunicorn"


def test_not_found_and_wrong_method_over_tcp(start_gunicorn, version):
    server = start_gunicorn(version)
    assert http_request(server.port, "/missing")[::2] == (404, "404 Not Found\n")
    assert http_request(server.port, "/", method="POST")[::2] == (405, "405 Method Not Allowed\n")


def raw_request(port: int, request: bytes) -> bytes:
    """Sends raw bytes (a request Python's http.client refuses to build) and reads the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


@pytest.mark.parametrize("request_bytes, status", [
    (b"GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n", 400),            # a malformed request line
    (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),  # a request line over the limit
    (b"GET / HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 9000 + b"\r\n\r\n", 431),  # a header over the limit
])
def test_requests_gunicorn_cannot_parse_get_its_own_html_page(start_gunicorn, version, request_bytes, status):
    """What the docs say (docs/apps.md, the table of answers): the app's own errors are plain text, but a
    request gunicorn cannot parse never reaches the app, and gunicorn answers it with its own short
    HTML page. (Behind Knative, queue-proxy parses requests first.)"""
    server = start_gunicorn(version)
    answer = raw_request(server.port, request_bytes).decode("latin-1")
    head, _, body = answer.partition("\r\n\r\n")
    assert head.startswith(f"HTTP/1.1 {status} "), head
    assert "content-type: text/html" in head.lower()
    assert body.lstrip().lower().startswith("<html>")


def test_keep_alive_reuses_the_connection(start_gunicorn, version):
    server = start_gunicorn(version)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        conn.request("GET", "/")
        conn.getresponse().read()
        first_socket = conn.sock
        for _ in range(3):
            conn.request("GET", "/")
            resp = conn.getresponse()
            assert resp.read().decode() == expected_body(version, "Loopback")
        assert conn.sock is first_socket, "gunicorn closed a keep-alive connection"
    finally:
        conn.close()


def test_concurrent_requests(start_gunicorn, version):
    server = start_gunicorn(version)
    def one(_):
        return http_request(server.port, "/", timeout=5)[::2]
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(one, range(200), timeout=60))
    assert results == [(200, expected_body(version, "Loopback"))] * 200


def test_sigterm_exits_cleanly(start_gunicorn, version):
    server = start_gunicorn(version)
    code, log, seconds = server.terminate()
    assert code == 0, log
    assert seconds < 10, f"took {seconds:.1f}s to stop"
    assert "Handling signal: term" in log and "Shutting down: Master" in log
    assert "Traceback" not in log


def test_sigterm_lets_in_flight_request_finish(start_gunicorn, version):
    g = start_gunicorn(version, app="slow_wsgi:app")
    with socket.create_connection(("127.0.0.1", g.port), timeout=10) as sock:
        sock.sendall(b"GET /__test/slow?1.5 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        time.sleep(0.3)  # the request is now being served
        g.proc.send_signal(signal.SIGTERM)
        data = b""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    assert data.startswith(b"HTTP/1.1 200"), data
    assert data.endswith(b"slow done\n"), data
    # New connections are refused once the listener is closed.
    refused = False
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not refused:
        try:
            socket.create_connection(("127.0.0.1", g.port), timeout=1).close()
            time.sleep(0.05)
        except ConnectionRefusedError:
            refused = True
    assert refused, "still accepting connections after SIGTERM"
    out, _ = g.proc.communicate(timeout=15)
    assert g.proc.returncode == 0, out
