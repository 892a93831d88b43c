"""``sio.shutdown()`` called by the application, for tests/engineio/test_shutdown.py: ``build``
(``Server`` under pywsgi) and ``build_async`` (``AsyncServer`` under uvicorn). ``slow`` acks after
a second (a handler still running when the shutdown begins); ``shutdown`` starts
``sio.shutdown(5)`` in a task of its own and acks; each disconnect's reason is printed, as
``DISCONNECT <reason>``, and the end of the shutdown as ``SHUTDOWN DONE``."""

from __future__ import annotations

from typing import Any


def build(socketio: Any, **options: Any) -> Any:
    sio = socketio.Server(**options)

    @sio.on("slow")
    def slow(sid: str) -> str:
        sio.sleep(1)
        return "slow"

    @sio.on("shutdown")
    def shutdown(sid: str) -> str:
        def run() -> None:
            sio.shutdown(5)
            print("SHUTDOWN DONE", flush=True)

        sio.start_background_task(run)
        return "shutting down"

    @sio.on("disconnect")
    def disconnect(sid: str, reason: str) -> None:
        print(f"DISCONNECT {reason}", flush=True)

    return socketio.WSGIApp(sio)


def build_async(socketio: Any, **options: Any) -> Any:
    sio = socketio.AsyncServer(async_mode="asgi", **options)

    @sio.on("slow")
    async def slow(sid: str) -> str:
        await sio.sleep(1)
        return "slow"

    @sio.on("shutdown")
    async def shutdown(sid: str) -> str:
        async def run() -> None:
            await sio.shutdown(5)
            print("SHUTDOWN DONE", flush=True)

        sio.start_background_task(run)
        return "shutting down"

    @sio.on("disconnect")
    async def disconnect(sid: str, reason: str) -> None:
        print(f"DISCONNECT {reason}", flush=True)

    return socketio.ASGIApp(sio)
