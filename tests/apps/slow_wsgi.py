"""Test-only WSGI wrapper: the real app plus /__test/slow, a request that takes
a while, to prove gunicorn lets in-flight requests finish on SIGTERM.

Run from apps/<version>/ (gunicorn puts its working directory on sys.path):
  gunicorn --config gunicorn.conf.py --pythonpath <this dir> slow_wsgi:app
"""

import time

from app import app as hello  # apps/<version>/app.py


def app(environ, start_response):
    if environ.get("PATH_INFO") == "/__test/slow":
        time.sleep(float(environ.get("QUERY_STRING") or 1.5))
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "10")])
        return [b"slow done\n"]
    return hello(environ, start_response)
