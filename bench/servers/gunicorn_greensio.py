"""greensio for ``gunicorn -k gevent -w 1 gunicorn_greensio:app`` (the worker monkey-patches)."""

from app import build

import greensio

app = build(greensio)
