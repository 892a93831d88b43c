"""Emit to the service's clients from outside it (a worker, a cron job): a write-only manager.

``REDIS_URL=redis://127.0.0.1:6379/0 python -m examples.redis_chat.emitter SID``: sends ``report``
to that client, then asks it a question and prints its answer (a write-only manager can wait for
acks, unlike python-socketio's).
"""

from __future__ import annotations

import os
import sys

import greensio

mgr = greensio.RedisManager(
    os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"), write_only=True
)


def main(sid: str) -> None:
    mgr.emit("report", {"done": True}, to=sid)  # data as in Server.emit: a tuple for several args
    answer = mgr.call("question", "ready?", to=sid, timeout=10)  # raises TimeoutError if none
    print(f"answer: {answer}", flush=True)
    mgr.close()  # publishes what is still waiting (at most 5 s), then stops; also done at exit


if __name__ == "__main__":
    main(sys.argv[1])
