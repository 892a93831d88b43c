"""Benchmark server on gevent's pywsgi (an entry point: it monkey-patches first).

Usage: ``python bench/servers/pywsgi_server.py --impl greensio|socketio --port PORT``

python-socketio (``--impl socketio``) gets gevent-websocket's ``WebSocketHandler``: python-engineio
uses gevent-websocket whenever it is importable, and then cannot upgrade without its handler.
greensio takes the socket over from plain pywsgi.
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import importlib  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

import gevent.pywsgi  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import app as bench_app  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--impl", choices=["greensio", "socketio"], required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--backlog", type=int, default=1024)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    options = {}
    if args.impl == "socketio":
        from geventwebsocket.handler import WebSocketHandler

        options["handler_class"] = WebSocketHandler
    wsgi = bench_app.build(importlib.import_module(args.impl))
    server = gevent.pywsgi.WSGIServer(
        ("127.0.0.1", args.port), wsgi, log=None, backlog=args.backlog, **options
    )
    server.start()
    print(f"LISTENING {server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
