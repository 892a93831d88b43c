"""Benchmark server on uvicorn (its default WebSocket implementation, permessage-deflate off as
docs/asyncio.md advises and as Node's engine.io has it).

Usage: ``python bench/servers/uvicorn_server.py --impl greensio|socketio --port PORT``
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys

import uvicorn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import asgi_app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--impl", choices=["greensio", "socketio"], required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--backlog", type=int, default=1024)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    app = asgi_app.build(importlib.import_module(args.impl))
    print(f"LISTENING {args.port}", flush=True)
    # No permessage-deflate, as Node's engine.io and the other contenders (docs/asyncio.md).
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        backlog=args.backlog,
        log_level="warning",
        lifespan="off",
        ws_per_message_deflate=False,
    )


if __name__ == "__main__":
    main()
