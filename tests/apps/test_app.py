"""Flask test-client checks of apps/<version>/app.py (both versions)."""

import pytest

from support import expected_body

PLAIN = "text/plain; charset=utf-8"


def test_root_greets_world_by_default(client, version, monkeypatch):
    monkeypatch.delenv("TARGET", raising=False)
    resp = client.get("/")
    assert resp.status_code == 200
    assert resp.get_data(as_text=True) == expected_body(version)
    assert resp.headers["Content-Type"] == PLAIN


def test_root_greets_target(client, version, monkeypatch):
    monkeypatch.setenv("TARGET", "Knative")
    assert client.get("/").get_data(as_text=True) == f"Hello Knative : {version} !\n"


def test_empty_target_falls_back_to_world(client, version, monkeypatch):
    monkeypatch.setenv("TARGET", "")
    assert client.get("/").get_data(as_text=True) == expected_body(version)


def test_query_string_does_not_change_the_answer(client, version, monkeypatch):
    monkeypatch.delenv("TARGET", raising=False)
    assert client.get("/?TARGET=x&v=2").get_data(as_text=True) == expected_body(version)


def test_version_constant_matches_folder(app_module, version):
    assert app_module.VERSION == version


@pytest.mark.parametrize("path", ["/nope", "/index.html", "/hello", "/v1/", "/static/x.css", "/%2e%2e/etc/passwd"])
def test_other_paths_are_plain_404(client, path):
    resp = client.get(path)
    assert resp.status_code == 404
    assert resp.get_data(as_text=True) == "404 Not Found\n"
    assert resp.headers["Content-Type"] == PLAIN


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_other_methods_on_root_are_plain_405(client, method):
    resp = client.open("/", method=method)
    assert resp.status_code == 405
    assert resp.get_data(as_text=True) == "405 Method Not Allowed\n"
    assert resp.headers["Content-Type"] == PLAIN
    assert set(resp.headers["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "OPTIONS"}


def test_head_has_headers_and_no_body(client, version, monkeypatch):
    monkeypatch.delenv("TARGET", raising=False)
    resp = client.head("/")
    assert resp.status_code == 200
    assert resp.get_data() == b""
    assert int(resp.headers["Content-Length"]) == len(expected_body(version).encode())


def test_options_lists_allowed_methods(client):
    resp = client.options("/")
    assert resp.status_code == 200
    assert {"GET", "HEAD", "OPTIONS"} <= set(resp.headers["Allow"].replace(" ", "").split(","))


def test_unexpected_error_is_plain_500_without_traceback(app_module, caplog):
    app = app_module.create_app()

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internal detail")

    resp = app.test_client().get("/boom")
    assert resp.status_code == 500
    body = resp.get_data(as_text=True)
    assert body == "500 Internal Server Error\n"
    assert "Traceback" not in body and "secret" not in body
    # ...but the operator still gets it in the log.
    assert "secret internal detail" in caplog.text
