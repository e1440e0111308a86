"""Hello service, version v1.

``GET /`` answers ``Hello <TARGET> : v1 !`` followed by a newline, where TARGET
comes from the environment (default ``World``). Every other path is a plain-text
404, every other method on ``/`` a plain-text 405, and an unexpected error a
plain-text 500: clients never see an HTML page or a stack trace.

In the container, gunicorn serves ``app:app`` (see ``gunicorn.conf.py``).
``python3 app.py`` starts Flask's development server instead: that is the
tutorial's way, kept only for local hacking and for the benchmark that
compares the two.
"""

import os

from flask import Flask, Response
from werkzeug.exceptions import HTTPException

VERSION = "v1"
DEFAULT_TARGET = "World"


def _plain(body: str, status: int) -> Response:
    return Response(body, status=status, mimetype="text/plain")


def create_app() -> Flask:
    """Build the WSGI application (a factory, so tests get a fresh one)."""
    app = Flask(__name__)

    @app.get("/")
    def hello() -> Response:
        # Read per request: cheap, and lets tests change TARGET without a reload.
        target = os.environ.get("TARGET") or DEFAULT_TARGET
        return _plain(f"Hello {target} : {VERSION} !\n", 200)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        # Keep the status and headers Werkzeug chose (e.g. Allow on a 405),
        # replace the HTML body with one plain line.
        response = exc.get_response()
        response.set_data(f"{exc.code} {exc.name}\n")
        response.mimetype = "text/plain"
        return response

    @app.errorhandler(Exception)
    def unexpected_error(exc: Exception) -> Response:
        # The traceback goes to the log (gunicorn's error log), not to the client.
        app.logger.exception("unhandled error", exc_info=exc)
        return _plain("500 Internal Server Error\n", 500)

    return app


app = create_app()


if __name__ == "__main__":
    # The tutorial's way: Flask's development server. Not used in the image.
    app.run(
        host=os.environ.get("LISTEN_HOST", "0.0.0.0"),
        port=int(os.environ.get("PORT") or 8080),
    )
