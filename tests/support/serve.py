"""Run a test application on 127.0.0.1 in its own process (entry point for test servers).

Usage::

    python -m tests.support.serve --impl greensio --app tests.apps.interop:build \
        --server pywsgi --port 0 [--option key=json ...]

``--impl`` picks the Socket.IO package under test (``greensio``, or ``socketio`` for
python-socketio as a reference peer). The app factory is called as ``build(socketio, **options)``
and returns a WSGI application. The chosen port is printed as ``LISTENING <port>`` on stdout once
the server accepts connections. This is an entry point, so it monkey-patches (DESIGN.md).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys


def _load(spec: str):
    module_name, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module_name), attr or "build")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--impl", default="greensio", choices=["greensio", "socketio"])
    parser.add_argument("--app", required=True)
    parser.add_argument("--server", default="pywsgi", choices=["pywsgi"])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--option", action="append", default=[])
    args = parser.parse_args(argv)

    from gevent import monkey

    monkey.patch_all()
    import logging

    import gevent.pywsgi

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    impl = importlib.import_module(args.impl)
    options = {}
    for item in args.option:
        key, _, value = item.partition("=")
        options[key] = json.loads(value)
    app = _load(args.app)(impl, **options)
    server = gevent.pywsgi.WSGIServer(("127.0.0.1", args.port), app, log=None)
    server.start()
    print(f"LISTENING {server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
