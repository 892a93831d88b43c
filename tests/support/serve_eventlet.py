"""Run a test application under ``eventlet.wsgi`` on 127.0.0.1 in its own process.

Usage::

    python -m tests.support.serve_eventlet --app tests.apps.deployment:build \
        [--no-patch] [--option key=json ...]

An entry point, so it monkey-patches (``eventlet.monkey_patch()``, DESIGN.md) unless told not to
(``--no-patch``: the mismatch tests). The app factory is called as ``build(greensio, **options)``.
Prints ``LISTENING <port>`` once the socket listens; log records go to stdout as ``LEVEL logger:
message``. eventlet's import warns that eventlet is deprecated: filtered here, so that the output
holds only what the test reads.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import warnings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--app", required=True)
    parser.add_argument("--no-patch", action="store_true")
    parser.add_argument("--option", action="append", default=[])
    args = parser.parse_args(argv)

    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated", category=Warning)
    import eventlet

    if not args.no_patch:
        eventlet.monkey_patch()
    import eventlet.wsgi

    import greensio
    from tests.support.serve import _load

    logging.basicConfig(
        level=logging.INFO, stream=sys.stdout, format="%(levelname)s %(name)s: %(message)s"
    )
    options = {}
    for item in args.option:
        key, _, value = item.partition("=")
        options[key] = json.loads(value)
    app = _load(args.app)(greensio, **options)
    listener = eventlet.listen(("127.0.0.1", 0))
    print(f"LISTENING {listener.getsockname()[1]}", flush=True)
    eventlet.wsgi.server(listener, app, log_output=False)


if __name__ == "__main__":
    main()
