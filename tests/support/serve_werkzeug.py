"""Run a test application under Werkzeug's threaded development server (what ``app.run()`` and
``flask run`` start), on 127.0.0.1 in its own process.

Usage::

    python -m tests.support.serve_werkzeug --impl greensio --app tests.apps.interop:build \
        [--option key=json ...]

Nothing is monkey-patched: this is a threads deployment. Every log record goes to stdout as
``LEVEL logger: message``, so that a test can tell an error-level line from the access log.
Besides ``LISTENING <port>``, it prints ``CONNECTION-OPEN`` when a TCP connection is accepted and
``CONNECTION-CLOSED`` once Werkzeug is done with it (after anything it logs about the request):
a test waits for the two counts to match before it reads the log.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
import threading

from tests.support.serve import _load


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--impl", default="greensio", choices=["greensio", "socketio"])
    parser.add_argument("--app", required=True)
    parser.add_argument("--option", action="append", default=[])
    args = parser.parse_args(argv)

    from werkzeug.serving import make_server

    logging.basicConfig(
        level=logging.INFO, stream=sys.stdout, format="%(levelname)s %(name)s: %(message)s"
    )
    options = {"async_mode": None}
    for item in args.option:
        key, _, value = item.partition("=")
        options[key] = json.loads(value)
    app = _load(args.app)(importlib.import_module(args.impl), **options)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    opened, closed = server.process_request, server.shutdown_request
    printing = threading.Lock()  # whole lines: print() from two threads can interleave

    def say(line: str) -> None:
        with printing:
            print(line, flush=True)

    def process_request(request, client_address):  # the accepting thread
        say("CONNECTION-OPEN")
        opened(request, client_address)

    def shutdown_request(request):  # the request's thread, after handle() and handle_error()
        closed(request)
        say("CONNECTION-CLOSED")

    server.process_request = process_request  # type: ignore[method-assign]
    server.shutdown_request = shutdown_request  # type: ignore[method-assign]
    print(f"LISTENING {server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
