"""Run a test application on 127.0.0.1 in its own process (entry point for test servers).

Usage::

    python -m tests.support.serve --impl greensio --app tests.apps.interop:build \
        --server pywsgi --port 0 [--option key=json ...]

``--server geventwebsocket`` puts gevent-websocket's ``WebSocketHandler`` in front as pywsgi's
handler class, so WebSocket requests reach the app already accepted, as
``environ['wsgi.websocket']``.

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


def _handler(impl: str, server: str) -> dict:
    """pywsgi's handler class: gevent-websocket's when asked for (``--server geventwebsocket``), and
    for python-engineio, which uses gevent-websocket whenever it is importable and then needs it."""
    if server == "geventwebsocket":
        from geventwebsocket.handler import WebSocketHandler  # asked for: missing is an error

        return {"handler_class": WebSocketHandler}
    if impl != "socketio":
        return {}
    try:
        from geventwebsocket.handler import WebSocketHandler
    except ImportError:
        return {}
    return {"handler_class": WebSocketHandler}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--impl", default="greensio", choices=["greensio", "socketio"])
    parser.add_argument("--app", required=True)
    parser.add_argument("--server", default="pywsgi", choices=["pywsgi", "geventwebsocket"])
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
    server = gevent.pywsgi.WSGIServer(
        ("127.0.0.1", args.port), app, log=None, **_handler(args.impl, args.server)
    )
    server.start()
    print(f"LISTENING {server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
