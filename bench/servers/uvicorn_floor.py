"""The floor of any Socket.IO server on uvicorn: a bare ASGI app answering the benchmark's echo
and idle scenarios over WebSocket only, with the least work the protocol allows (the Engine.IO
OPEN, the Socket.IO CONNECT, and each acked ``echo`` decoded and re-encoded as JSON), no session,
no heartbeat timers, no validation. Not a server anyone should run: what uvicorn and asyncio cost
per message, which no ASGI Socket.IO server can go below (bench/README.md, "The asyncio rows").

Usage: ``python bench/servers/uvicorn_floor.py --port PORT``
"""

from __future__ import annotations

import argparse
import json
import os

import uvicorn

OPEN = '0{"sid":"SID","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}'


async def app(scope, receive, send):
    if scope["type"] != "websocket":
        await send({"type": "http.response.start", "status": 400, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        return
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.send", "text": OPEN.replace("SID", os.urandom(10).hex())})
    while True:
        message = await receive()
        if message["type"] != "websocket.receive":
            return
        text = message.get("text") or ""
        if text.startswith("42"):  # 42<id>["echo",...]
            bracket = text.index("[")
            args = json.loads(text[bracket:])[1:]
            reply = "43" + text[2:bracket] + json.dumps(args, separators=(",", ":"))
            await send({"type": "websocket.send", "text": reply})
        elif text.startswith("40"):
            sid = os.urandom(10).hex()
            await send({"type": "websocket.send", "text": '40{"sid":"' + sid + '"}'})
        elif text == "3" or text.startswith("41"):
            continue


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--backlog", type=int, default=1024)
    args = parser.parse_args()
    print(f"LISTENING {args.port}", flush=True)
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
